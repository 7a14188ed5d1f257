import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from './kit/test-server.ts';
import { call, login, registerOwner, testPassword, uniqueEmail } from './kit/users.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ env: { LOGIN_IP_MAX_FAILURES: '1000' } });
});
afterAll(async () => {
  await server?.close();
});

const auditActions = async (orgId: string | null, action: string) =>
  (
    await server.ctx.database.query<{ action: string; ip: string | null; request_id: string | null }>(
      'select action, ip, request_id from audit_log where action = $1 and (org_id = $2 or $2::text is null)',
      [action, orgId],
    )
  ).rows;

describe('register, login, refresh, logout', () => {
  it('registers the first user of a new org as its owner and answers with a token pair', async () => {
    const email = uniqueEmail();
    const res = await call(server, 'POST', '/api/v1/auth/register', {
      body: { email, password: testPassword(), name: 'Ada', orgName: 'Analytical Engines' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      tokenType: 'Bearer',
      expiresIn: 900,
      user: { email, name: 'Ada' },
      org: { name: 'Analytical Engines' },
    });
    const me = await call(server, 'GET', '/api/v1/auth/me', { token: res.body.accessToken as string });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ user: { email }, role: { name: 'owner' } });
    expect(me.body.permissions).toContain('billing:manage');
  });

  it('refuses a second account with the same email, whatever its case', async () => {
    const owner = await registerOwner(server);
    const res = await call(server, 'POST', '/api/v1/auth/register', {
      body: { email: owner.email.toUpperCase(), password: testPassword(), name: 'Again' },
    });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({
      error: {
        code: 'email_taken',
        message: `an account with ${owner.email} already exists; sign in instead`,
      },
    });
  });

  it('explains every problem with a weak password', async () => {
    const res = await call(server, 'POST', '/api/v1/auth/register', {
      body: { email: uniqueEmail(), password: 'aaaaaaa', name: 'Weak' },
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'weak_password' } });
    expect((res.body.error as { details: { problems: string[] } }).details.problems).toEqual([
      'must be at least 10 characters',
      'must mix at least two of: lower case, upper case, digits, symbols',
      'must not be one repeated character',
    ]);
  });

  it('rejects a wrong password with one message that does not reveal whether the email exists', async () => {
    const owner = await registerOwner(server);
    const wrong = await call(server, 'POST', '/api/v1/auth/login', {
      body: { email: owner.email, password: testPassword() },
    });
    const unknown = await call(server, 'POST', '/api/v1/auth/login', {
      body: { email: uniqueEmail(), password: testPassword() },
    });
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({
        error: { code: 'invalid_credentials', message: 'the email or password is wrong' },
      });
    }
  });

  it('rotates refresh tokens: each works once and gives a new pair', async () => {
    const owner = await registerOwner(server);
    const first = await call(server, 'POST', '/api/v1/auth/refresh', {
      body: { refreshToken: owner.refreshToken },
    });
    expect(first.status).toBe(200);
    expect(first.body.refreshToken).not.toBe(owner.refreshToken);
    const me = await call(server, 'GET', '/api/v1/auth/me', { token: first.body.accessToken as string });
    expect(me.status).toBe(200);
    const second = await call(server, 'POST', '/api/v1/auth/refresh', {
      body: { refreshToken: first.body.refreshToken },
    });
    expect(second.status).toBe(200);
  });

  it('revokes the whole family when a spent refresh token is presented again', async () => {
    const owner = await registerOwner(server);
    const rotated = await call(server, 'POST', '/api/v1/auth/refresh', {
      body: { refreshToken: owner.refreshToken },
    });
    expect(rotated.status).toBe(200);

    const replay = await call(server, 'POST', '/api/v1/auth/refresh', {
      body: { refreshToken: owner.refreshToken },
    });
    expect(replay.status).toBe(401);
    expect(replay.body).toMatchObject({ error: { code: 'refresh_token_reused' } });

    // The legitimate holder's newer token died with the family.
    const victim = await call(server, 'POST', '/api/v1/auth/refresh', {
      body: { refreshToken: rotated.body.refreshToken },
    });
    expect(victim.status).toBe(401);
    expect(victim.body).toMatchObject({ error: { code: 'invalid_refresh_token' } });
    expect(await auditActions(owner.orgId, 'auth.refresh_token_reused')).toHaveLength(1);
  });

  it('logout ends the session: its refresh token no longer works', async () => {
    const owner = await registerOwner(server);
    const out = await call(server, 'POST', '/api/v1/auth/logout', {
      token: owner.accessToken,
      body: { refreshToken: owner.refreshToken },
    });
    expect(out.status).toBe(204);
    const res = await call(server, 'POST', '/api/v1/auth/refresh', {
      body: { refreshToken: owner.refreshToken },
    });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: { code: 'invalid_refresh_token' } });
  });

  it('logout without a refresh token ends every session of the user in the org', async () => {
    const owner = await registerOwner(server);
    const other = await login(server, owner.email, owner.password);
    const out = await call(server, 'POST', '/api/v1/auth/logout', { token: owner.accessToken });
    expect(out.body).toBe(null);
    expect(out.status).toBe(204);
    for (const token of [owner.refreshToken, other.refreshToken]) {
      const res = await call(server, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: token } });
      expect(res.status).toBe(401);
    }
  });
});

describe('access tokens', () => {
  it('carry kid, sub, org and scope and verify against the JWKS with a standard library', async () => {
    const owner = await registerOwner(server);
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(owner.accessToken, jwks, {
      issuer: 'switchboard',
      audience: 'switchboard-api',
    });
    expect(protectedHeader.alg).toBe('EdDSA');
    expect(protectedHeader.kid).toMatch(/^key_/);
    expect(payload).toMatchObject({ sub: owner.userId, org: owner.orgId });
    expect(String(payload.scope).split(' ')).toContain('members:write');
  });

  it('JWKS answers with Cache-Control and a strong ETag, and 304 to If-None-Match', async () => {
    const first = await fetch(`${server.url}/.well-known/jwks.json`);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toContain('max-age=');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/); // strong: no W/ prefix
    const again = await fetch(`${server.url}/.well-known/jwks.json`, { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    const stale = await fetch(`${server.url}/.well-known/jwks.json`, {
      headers: { 'if-none-match': '"other"' },
    });
    expect(stale.status).toBe(200);
  });

  const rejects = async (token: string, code = 'invalid_token') => {
    const res = await call(server, 'GET', '/api/v1/auth/me', { token });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: { code } });
  };

  it('rejects a tampered token', async () => {
    const owner = await registerOwner(server);
    const [h, p, s] = owner.accessToken.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, scope: `${claims.scope} admin` })).toString(
      'base64url',
    );
    await rejects(`${h}.${forged}.${s}`);
  });

  it('rejects alg none', async () => {
    const owner = await registerOwner(server);
    const [, p] = owner.accessToken.split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    await rejects(`${header}.${p}.`);
  });

  it('rejects a token signed by a key we did not issue, with an unknown or a known kid', async () => {
    const owner = await registerOwner(server);
    const realKid = decodeProtectedHeader(owner.accessToken).kid!;
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    for (const kid of ['key_not_ours', realKid]) {
      const forged = await new SignJWT({ org: owner.orgId, scope: 'admin' })
        .setProtectedHeader({ alg: 'EdDSA', kid })
        .setSubject(owner.userId)
        .setIssuer('switchboard')
        .setAudience('switchboard-api')
        .setExpirationTime('5m')
        .sign(privateKey);
      await rejects(forged);
    }
  });

  it('rejects an HS256 token keyed with the public key (algorithm confusion)', async () => {
    const owner = await registerOwner(server);
    const jwk = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as {
      keys: Array<{ x: string }>;
    };
    const secret = new TextEncoder().encode(jwk.keys[0]!.x);
    const forged = await new SignJWT({ org: owner.orgId, scope: 'admin' })
      .setProtectedHeader({ alg: 'HS256', kid: decodeProtectedHeader(owner.accessToken).kid! })
      .setSubject(owner.userId)
      .setIssuer('switchboard')
      .setAudience('switchboard-api')
      .setExpirationTime('5m')
      .sign(secret);
    await rejects(forged);
  });

  it('rejects an expired token with token_expired so clients know to refresh, even one verified before', async () => {
    const owner = await registerOwner(server);
    // Verified once (and kept by the keyring), then past its expiry: refused all the same.
    expect((await call(server, 'GET', '/api/v1/auth/me', { token: owner.accessToken })).status).toBe(200);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 16 * 60_000);
      await rejects(owner.accessToken, 'token_expired');
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps verifying tokens of a rotated-out key, and signs new ones with the new key', async () => {
    const owner = await registerOwner(server);
    const oldKid = decodeProtectedHeader(owner.accessToken).kid;
    const newKid = await server.domains.identity.keyring.rotate();
    expect(newKid).not.toBe(oldKid);
    expect((await call(server, 'GET', '/api/v1/auth/me', { token: owner.accessToken })).status).toBe(200);
    const fresh = await login(server, owner.email, owner.password);
    expect(decodeProtectedHeader(fresh.accessToken).kid).toBe(newKid);
    const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as {
      keys: Array<{ kid: string }>;
    };
    expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, newKid]));
    const publicKey = await exportJWK((await generateKeyPair('EdDSA', { crv: 'Ed25519' })).publicKey);
    expect(jwks.keys.every((k) => !('d' in k))).toBe(true); // never a private part
    expect(publicKey).not.toHaveProperty('d');
  });

  it('401 on a missing or malformed Authorization header', async () => {
    const none = await call(server, 'GET', '/api/v1/auth/me');
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ error: { code: 'unauthorized', message: 'missing bearer token' } });
    const basic = await call(server, 'GET', '/api/v1/auth/me', { headers: { authorization: 'Basic abc' } });
    expect(basic.status).toBe(401);
  });

  it('403 when X-Tenant-Id names another org', async () => {
    const owner = await registerOwner(server);
    const res = await call(server, 'GET', '/api/v1/auth/me', {
      token: owner.accessToken,
      headers: { 'x-tenant-id': 'org_someone_else' },
    });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: { code: 'tenant_mismatch' } });
    const same = await call(server, 'GET', '/api/v1/auth/me', {
      token: owner.accessToken,
      headers: { 'x-tenant-id': owner.orgId },
    });
    expect(same.status).toBe(200);
  });
});
