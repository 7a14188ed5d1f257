import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymousClient, clientAs, failure } from './kit/api-client.ts';
import { linkIn, type SmtpCatcher, startSmtpCatcher } from './kit/smtp.ts';
import { parseLogs, startTestServer, type TestServer } from './kit/test-server.ts';
import { login, registerOwner, roleId, testPassword, uniqueEmail } from './kit/users.ts';

let smtp: SmtpCatcher;
let server: TestServer;
const PUBLIC_URL = 'http://console.example.test:8080';
const RESET = 'Reset your Switchboard password';
const VERIFY = 'Confirm your email address';

beforeAll(async () => {
  smtp = await startSmtpCatcher();
  server = await startTestServer({
    env: {
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Switchboard <mail@example.test>',
      PUBLIC_URL,
      RATE_LIMIT_MAIL_PER_HOUR: '3',
      LOGIN_IP_MAX_FAILURES: '1000',
    },
  });
});
afterAll(async () => {
  await server?.close();
  await smtp?.close();
});

const anon = () => anonymousClient(server);

async function requestReset(email: string) {
  return anon().POST('/api/v1/auth/password-reset', { body: { email } });
}

describe('password reset', () => {
  it('answers an unknown address exactly as a known one, and mails only the account', async () => {
    const owner = await registerOwner(server);
    const unknown = uniqueEmail('nobody');
    const known = await requestReset(owner.email);
    const missing = await requestReset(unknown);
    expect(known.response.status).toBe(202);
    expect(missing.response.status).toBe(202);
    expect(missing.data).toEqual(known.data);
    const mail = await smtp.waitFor(owner.email, RESET);
    expect(mail.subject).toBe('Reset your Switchboard password');
    expect(mail.from).toBe('mail@example.test');
    expect(linkIn(mail, 'reset-password').url.startsWith(`${PUBLIC_URL}/reset-password?token=`)).toBe(true);
    await server.domains.identity.links.flush();
    expect(smtp.to(unknown)).toEqual([]);
  });

  it('sets the new password once, verifies the address and ends every session of the account', async () => {
    const owner = await registerOwner(server);
    await requestReset(owner.email);
    const { token } = linkIn(await smtp.waitFor(owner.email, RESET), 'reset-password');
    const password = testPassword();
    const done = await anon().POST('/api/v1/auth/password-reset/confirm', { body: { token, password } });
    expect(done.response.status).toBe(204);

    const again = await anon().POST('/api/v1/auth/password-reset/confirm', {
      body: { token, password: testPassword() },
    });
    expect(failure(again)).toMatchObject({ status: 400, code: 'invalid_link' });

    const refresh = await anon().POST('/api/v1/auth/refresh', { body: { refreshToken: owner.refreshToken } });
    expect(failure(refresh)).toMatchObject({ status: 401, code: 'invalid_refresh_token' });
    // The access token taken before the reset is refused at once, not when it expires.
    const before = await clientAs(server, owner).GET('/api/v1/auth/me');
    expect(failure(before)).toMatchObject({ status: 401, code: 'session_revoked' });
    const old = await anon().POST('/api/v1/auth/login', {
      body: { email: owner.email, password: owner.password },
    });
    expect(failure(old)).toMatchObject({ status: 401, code: 'invalid_credentials' });
    const fresh = await login(server, owner.email, password);
    const me = await clientAs(server, fresh).GET('/api/v1/auth/me');
    expect(me.data?.user).toMatchObject({ email: owner.email, emailVerified: true });
  });

  it('keeps the link usable after a weak password, and refuses it once expired', async () => {
    const owner = await registerOwner(server);
    await requestReset(owner.email);
    const { token } = linkIn(await smtp.waitFor(owner.email, RESET), 'reset-password');
    const weak = await anon().POST('/api/v1/auth/password-reset/confirm', {
      body: { token, password: 'short' },
    });
    expect(failure(weak)).toMatchObject({ status: 400, code: 'weak_password' });

    await server.ctx.database.query(
      `update user_tokens set expires_at = now() - interval '1 second'
        where user_id = $1 and purpose = 'password_reset' and used_at is null`,
      [owner.userId],
    );
    const expired = await anon().POST('/api/v1/auth/password-reset/confirm', {
      body: { token, password: testPassword() },
    });
    expect(failure(expired)).toMatchObject({
      status: 400,
      code: 'invalid_link',
      message: 'this password reset link is not valid, was already used or has expired; ask for a new one',
    });
    // The password did not change.
    await login(server, owner.email, owner.password);
  });

  it('lasts 30 minutes and replaces the link mailed before', async () => {
    const owner = await registerOwner(server);
    const before = Date.now();
    await requestReset(owner.email);
    const first = linkIn(await smtp.waitFor(owner.email, RESET), 'reset-password').token;
    const { rows } = await server.ctx.database.query<{ expires_at: Date }>(
      `select expires_at from user_tokens where user_id = $1 and purpose = 'password_reset'`,
      [owner.userId],
    );
    const ttl = new Date(rows[0]!.expires_at).getTime() - before;
    expect(ttl).toBeGreaterThan(29 * 60_000);
    expect(ttl).toBeLessThanOrEqual(31 * 60_000);

    await requestReset(owner.email);
    const second = linkIn(await smtp.waitFor(owner.email, RESET, 2), 'reset-password').token;
    const stale = await anon().POST('/api/v1/auth/password-reset/confirm', {
      body: { token: first, password: testPassword() },
    });
    expect(failure(stale)).toMatchObject({ status: 400, code: 'invalid_link' });
    const ok = await anon().POST('/api/v1/auth/password-reset/confirm', {
      body: { token: second, password: testPassword() },
    });
    expect(ok.response.status).toBe(204);
  });

  it('limits requests per address per hour, known or not', async () => {
    for (const email of [(await registerOwner(server)).email, uniqueEmail('ghost')]) {
      for (let i = 0; i < 3; i++) expect((await requestReset(email)).response.status).toBe(202);
      const over = await requestReset(email.toUpperCase());
      expect(failure(over)).toMatchObject({ status: 429, code: 'rate_limited' });
      expect(Number(over.response.headers.get('ratelimit-reset'))).toBeGreaterThan(60);
    }
  });

  it('limits requests per client address', async () => {
    const strict = await startTestServer({ env: { RATE_LIMIT_IP_PER_MINUTE: '2' } });
    try {
      const client = anonymousClient(strict);
      for (let i = 0; i < 2; i++) {
        const res = await client.POST('/api/v1/auth/password-reset', { body: { email: uniqueEmail() } });
        expect(res.response.status).toBe(202);
      }
      const over = await client.POST('/api/v1/auth/password-reset', { body: { email: uniqueEmail() } });
      expect(failure(over)).toMatchObject({ status: 429, code: 'rate_limited' });
    } finally {
      await strict.close();
    }
  });
});

describe('email verification', () => {
  it('mails a new account a link that verifies it once', async () => {
    const owner = await registerOwner(server);
    const me = await clientAs(server, owner).GET('/api/v1/auth/me');
    expect(me.data?.user?.emailVerified).toBe(false);
    const mail = await smtp.waitFor(owner.email, VERIFY);
    expect(mail.subject).toBe('Confirm your email address for Switchboard');
    const { token, url } = linkIn(mail, 'verify-email');
    expect(url.startsWith(`${PUBLIC_URL}/verify-email?token=`)).toBe(true);

    expect((await anon().POST('/api/v1/auth/verify-email', { body: { token } })).response.status).toBe(204);
    expect((await clientAs(server, owner).GET('/api/v1/auth/me')).data?.user?.emailVerified).toBe(true);
    const again = await anon().POST('/api/v1/auth/verify-email', { body: { token } });
    expect(failure(again)).toMatchObject({ status: 400, code: 'invalid_link' });
    const resend = await clientAs(server, owner).POST('/api/v1/auth/verify-email/resend');
    expect(failure(resend)).toMatchObject({ status: 409, code: 'email_already_verified' });
  });

  it('sends a fresh link on request; the earlier one stops working', async () => {
    const owner = await registerOwner(server);
    const first = linkIn(await smtp.waitFor(owner.email, VERIFY), 'verify-email').token;
    const resend = await clientAs(server, owner).POST('/api/v1/auth/verify-email/resend');
    expect(resend.response.status).toBe(202);
    const second = linkIn(await smtp.waitFor(owner.email, VERIFY, 2), 'verify-email').token;
    expect(second).not.toBe(first);
    const stale = await anon().POST('/api/v1/auth/verify-email', { body: { token: first } });
    expect(failure(stale)).toMatchObject({ status: 400, code: 'invalid_link' });
    expect(
      (await anon().POST('/api/v1/auth/verify-email', { body: { token: second } })).response.status,
    ).toBe(204);
  });

  it('limits resends per account', async () => {
    const owner = await registerOwner(server);
    const client = clientAs(server, owner);
    for (let i = 0; i < 3; i++)
      expect((await client.POST('/api/v1/auth/verify-email/resend')).response.status).toBe(202);
    expect(failure(await client.POST('/api/v1/auth/verify-email/resend'))).toMatchObject({
      status: 429,
      code: 'rate_limited',
    });
  });
});

describe('invitations', () => {
  it('invites a person without an account: they set a password from the mail and sign in to the org', async () => {
    const owner = await registerOwner(server);
    const email = uniqueEmail('invitee');
    const added = await clientAs(server, owner).POST('/api/v1/members', {
      body: { email, roleId: await roleId(server, owner, 'member') },
    });
    expect(added.response.status).toBe(201);
    expect(added.data).toMatchObject({ email, emailVerified: false, role: { name: 'member' } });

    const mail = await smtp.waitFor(email);
    expect(mail.subject).toBe(`Test owner invited you to Org owner on Switchboard`);
    const { token, url } = linkIn(mail, 'accept-invitation');
    expect(url.startsWith(`${PUBLIC_URL}/accept-invitation?token=`)).toBe(true);

    const password = testPassword();
    const accepted = await anon().POST('/api/v1/auth/invitations/accept', {
      body: { token, password, name: 'Invited Person' },
    });
    expect(accepted.data).toEqual({ email, orgId: owner.orgId });
    const session = await login(server, email, password);
    expect(session.orgId).toBe(owner.orgId);
    const me = await clientAs(server, session).GET('/api/v1/auth/me');
    expect(me.data?.user).toMatchObject({ name: 'Invited Person', emailVerified: true });

    const again = await anon().POST('/api/v1/auth/invitations/accept', {
      body: { token, password: testPassword() },
    });
    expect(failure(again)).toMatchObject({ status: 400, code: 'invalid_link' });
  });

  it('mails a person who has an account a notice instead', async () => {
    const owner = await registerOwner(server);
    const other = await registerOwner(server, 'other');
    const added = await clientAs(server, owner).POST('/api/v1/members', {
      body: { email: other.email, roleId: await roleId(server, owner, 'viewer') },
    });
    expect(added.response.status).toBe(201);
    const notice = await smtp.waitFor(other.email, 'You were added');
    expect(notice.subject).toBe('You were added to Org owner on Switchboard');
    expect(notice.text).toContain(`${PUBLIC_URL}/signin`);
    expect(notice.text).not.toContain('token=');
  });

  it('an invitation cannot be accepted once the membership was removed', async () => {
    const owner = await registerOwner(server);
    const email = uniqueEmail('removed');
    const added = await clientAs(server, owner).POST('/api/v1/members', {
      body: { email, roleId: await roleId(server, owner, 'member') },
    });
    const { token } = linkIn(await smtp.waitFor(email), 'accept-invitation');
    await clientAs(server, owner).DELETE('/api/v1/members/{id}', {
      params: { path: { id: added.data!.id } },
    });
    const res = await anon().POST('/api/v1/auth/invitations/accept', {
      body: { token, password: testPassword() },
    });
    expect(failure(res)).toMatchObject({ status: 400, code: 'invalid_link' });
  });
});

describe('without an SMTP server', () => {
  it('says mail is off and, outside production, writes the mail with its link to the log', async () => {
    expect((await anon().GET('/api/v1/server-settings')).data).toEqual({ mail: { configured: true } });
    const plain = await startTestServer();
    try {
      expect((await anonymousClient(plain).GET('/api/v1/server-settings')).data).toEqual({
        mail: { configured: false },
      });
      const owner = await registerOwner(plain);
      await anonymousClient(plain).POST('/api/v1/auth/password-reset', { body: { email: owner.email } });
      await plain.domains.identity.links.flush();
      const logged = parseLogs(plain.logs).find(
        (l) => (l.mail as { subject?: string } | undefined)?.subject === 'Reset your Switchboard password',
      );
      expect(logged?.mail).toMatchObject({ to: owner.email });
      expect((logged!.mail as { text: string }).text).toMatch(/\/reset-password\?token=[\w-]{20,}/);
    } finally {
      await plain.close();
    }
  });
});
