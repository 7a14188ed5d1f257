import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from './kit/test-server.ts';
import { addMember, call, login, registerOwner, roleId, testPassword, uniqueEmail } from './kit/users.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ env: { LOGIN_MAX_FAILURES: '3', LOGIN_IP_MAX_FAILURES: '1000' } });
});
afterAll(async () => {
  await server?.close();
});

const audit = async (orgId: string, action: string) =>
  (
    await server.ctx.database.query<{
      ip: string | null;
      request_id: string | null;
      actor_id: string | null;
    }>('select ip, request_id, actor_id from audit_log where org_id = $1 and action = $2', [orgId, action])
  ).rows;

describe('lockout', () => {
  it('locks an account after repeated failures, with back-off, and releases it when the lock expires', async () => {
    const owner = await registerOwner(server);
    const attempt = (password: string) =>
      call(server, 'POST', '/api/v1/auth/login', { body: { email: owner.email, password } });

    for (let i = 0; i < 3; i++) expect((await attempt('Wrong-password-1')).status).toBe(401);
    const locked = await attempt(owner.password); // even the right password is refused while locked
    expect(locked.status).toBe(429);
    expect(locked.body).toMatchObject({ error: { code: 'account_locked' } });
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(30);

    const events = await server.ctx.database.query<{ kind: string; ip: string; user_agent: string | null }>(
      'select kind, ip, user_agent from login_events where email = $1 order by created_at, id',
      [owner.email],
    );
    expect(events.rows.map((e) => e.kind)).toEqual(['failure', 'failure', 'failure', 'lockout', 'lockout']);
    expect(events.rows.every((e) => e.ip === '127.0.0.1')).toBe(true);

    // The lock runs out (moved into the past rather than waited for).
    await server.ctx.database.query(
      "update users set locked_until = now() - interval '1 second' where email = $1",
      [owner.email],
    );
    // One more failure after a lock doubles the back-off.
    const again = await attempt('Wrong-password-1');
    expect(again.status).toBe(401);
    const lockedAgain = await attempt(owner.password);
    expect(Number(lockedAgain.headers.get('retry-after'))).toBeGreaterThan(30);

    await server.ctx.database.query(
      "update users set locked_until = now() - interval '1 second' where email = $1",
      [owner.email],
    );
    expect((await attempt(owner.password)).status).toBe(200);
    const state = await server.ctx.database.query<{ failed_logins: number }>(
      'select failed_logins from users where email = $1',
      [owner.email],
    );
    expect(state.rows[0]?.failed_logins).toBe(0);
  });

  it('blocks an address after repeated failures from it, across accounts', async () => {
    const strict = await startTestServer({ env: { LOGIN_IP_MAX_FAILURES: '3', TRUST_PROXY: 'true' } });
    try {
      const ip = `203.0.113.${Math.floor(Math.random() * 250) + 1}`;
      const headers = { 'x-forwarded-for': ip };
      for (let i = 0; i < 3; i++) {
        const res = await call(strict, 'POST', '/api/v1/auth/login', {
          headers,
          body: { email: uniqueEmail(), password: testPassword() },
        });
        expect(res.status).toBe(401);
      }
      const owner = await registerOwner(strict);
      const blocked = await call(strict, 'POST', '/api/v1/auth/login', {
        headers,
        body: { email: owner.email, password: owner.password },
      });
      expect(blocked.status).toBe(429);
      expect(blocked.body).toMatchObject({ error: { code: 'login_locked' } });
      // Another address is unaffected.
      const other = await call(strict, 'POST', '/api/v1/auth/login', {
        headers: { 'x-forwarded-for': '198.51.100.7' },
        body: { email: owner.email, password: owner.password },
      });
      expect(other.status).toBe(200);
    } finally {
      await strict.close();
    }
  });
});

describe('roles and permissions', () => {
  it('lists every permission', async () => {
    const owner = await registerOwner(server);
    const res = await call<{ items: Array<{ name: string; description: string }> }>(
      server,
      'GET',
      '/api/v1/permissions',
      { token: owner.accessToken },
    );
    expect(res.status).toBe(200);
    const names = res.body.items.map((p) => p.name);
    expect(names).toEqual(
      expect.arrayContaining(['agents:read', 'agents:write', 'runs:write', 'roles:write', 'admin']),
    );
    expect(res.body.items.every((p) => p.description.length > 0)).toBe(true);
  });

  it('a viewer reads but cannot write', async () => {
    const owner = await registerOwner(server);
    const viewer = await addMember(server, owner, 'viewer');
    expect((await call(server, 'GET', '/api/v1/roles', { token: viewer.accessToken })).status).toBe(200);
    expect((await call(server, 'GET', '/api/v1/members', { token: viewer.accessToken })).status).toBe(200);
    const write = await call(server, 'POST', '/api/v1/roles', {
      token: viewer.accessToken,
      body: { name: 'nope', permissions: [] },
    });
    expect(write.status).toBe(403);
    expect(write.body).toMatchObject({
      error: { code: 'forbidden', message: 'this needs the roles:write permission' },
    });
    const keys = await call(server, 'GET', '/api/v1/api-keys', { token: viewer.accessToken });
    expect(keys.status).toBe(403);
  });

  it('a custom role grants exactly its permissions', async () => {
    const owner = await registerOwner(server);
    const created = await call(server, 'POST', '/api/v1/roles', {
      token: owner.accessToken,
      body: { name: 'auditor', description: 'reads members', permissions: ['members:read', 'audit:read'] },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'auditor',
      builtin: false,
      permissions: ['audit:read', 'members:read'],
    });

    const auditor = await addMember(server, owner, 'auditor');
    const me = await call(server, 'GET', '/api/v1/auth/me', { token: auditor.accessToken });
    expect(me.body.permissions).toEqual(['audit:read', 'members:read']);
    expect((await call(server, 'GET', '/api/v1/members', { token: auditor.accessToken })).status).toBe(200);
    expect((await call(server, 'GET', '/api/v1/roles', { token: auditor.accessToken })).status).toBe(403);
    expect((await call(server, 'GET', '/api/v1/api-keys', { token: auditor.accessToken })).status).toBe(403);
  });

  it('refuses unknown permissions and granting what you do not hold', async () => {
    const owner = await registerOwner(server);
    const unknown = await call(server, 'POST', '/api/v1/roles', {
      token: owner.accessToken,
      body: { name: 'odd', permissions: ['agents:fly'] },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({
      error: {
        code: 'validation_failed',
        message: 'unknown permission agents:fly; see GET /api/v1/permissions',
      },
    });

    await call(server, 'POST', '/api/v1/roles', {
      token: owner.accessToken,
      body: { name: 'role-admin', permissions: ['roles:read', 'roles:write', 'members:read'] },
    });
    const roleAdmin = await addMember(server, owner, 'role-admin');
    const escalate = await call(server, 'POST', '/api/v1/roles', {
      token: roleAdmin.accessToken,
      body: { name: 'superuser', permissions: ['roles:write', 'admin'] },
    });
    expect(escalate.status).toBe(403);
    expect(escalate.body).toMatchObject({
      error: {
        code: 'permission_escalation',
        message: 'you cannot grant a role permissions you do not hold: admin',
      },
    });
  });

  it('built-in roles cannot be changed or deleted; a role in use cannot be deleted', async () => {
    const owner = await registerOwner(server);
    const viewerRole = await roleId(server, owner, 'viewer');
    const patch = await call(server, 'PATCH', `/api/v1/roles/${viewerRole}`, {
      token: owner.accessToken,
      body: { permissions: ['admin'] },
    });
    expect(patch.status).toBe(409);
    expect(patch.body).toMatchObject({ error: { code: 'role_builtin' } });
    expect(
      (await call(server, 'DELETE', `/api/v1/roles/${viewerRole}`, { token: owner.accessToken })).status,
    ).toBe(409);

    const custom = await call<{ id: string }>(server, 'POST', '/api/v1/roles', {
      token: owner.accessToken,
      body: { name: 'ops', permissions: ['members:read'] },
    });
    await addMember(server, owner, 'ops');
    const inUse = await call(server, 'DELETE', `/api/v1/roles/${custom.body.id}`, {
      token: owner.accessToken,
    });
    expect(inUse.status).toBe(409);
    expect(inUse.body).toMatchObject({ error: { code: 'role_in_use' } });
  });

  it('changes a custom role and the member gets its permissions at their next refresh', async () => {
    const owner = await registerOwner(server);
    const role = await call<{ id: string }>(server, 'POST', '/api/v1/roles', {
      token: owner.accessToken,
      body: { name: 'growing', permissions: ['members:read'] },
    });
    const member = await addMember(server, owner, 'growing');
    const updated = await call(server, 'PATCH', `/api/v1/roles/${role.body.id}`, {
      token: owner.accessToken,
      body: { permissions: ['members:read', 'roles:read'] },
    });
    expect(updated.status).toBe(200);
    const refreshed = await call<{ accessToken: string }>(server, 'POST', '/api/v1/auth/refresh', {
      body: { refreshToken: member.refreshToken },
    });
    expect((await call(server, 'GET', '/api/v1/roles', { token: refreshed.body.accessToken })).status).toBe(
      200,
    );
    expect(await audit(owner.orgId, 'role.update')).toHaveLength(1);
  });
});

describe('members', () => {
  it('adds, re-roles and removes a member; removal ends their sessions', async () => {
    const owner = await registerOwner(server);
    const member = await addMember(server, owner, 'member');
    const list = await call<{ items: Array<{ id: string; email: string; role: { name: string } }> }>(
      server,
      'GET',
      '/api/v1/members',
      { token: owner.accessToken },
    );
    expect(list.body.items.map((m) => m.role.name).sort()).toEqual(['member', 'owner']);
    expect(JSON.stringify(list.body)).not.toContain('argon2');

    const changed = await call(server, 'PATCH', `/api/v1/members/${member.memberId}`, {
      token: owner.accessToken,
      body: { roleId: await roleId(server, owner, 'viewer') },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ role: { name: 'viewer' } });
    const [change] = await audit(owner.orgId, 'member.role_change');
    expect(change).toMatchObject({ ip: '127.0.0.1', actor_id: owner.userId });
    expect(change?.request_id).toMatch(/^req_/);

    const removed = await call(server, 'DELETE', `/api/v1/members/${member.memberId}`, {
      token: owner.accessToken,
    });
    expect(removed.status).toBe(204);
    const refresh = await call(server, 'POST', '/api/v1/auth/refresh', {
      body: { refreshToken: member.refreshToken },
    });
    expect(refresh.status).toBe(401);
    const relogin = await call(server, 'POST', '/api/v1/auth/login', {
      body: { email: member.email, password: member.password },
    });
    expect(relogin.status).toBe(403);
    expect(relogin.body).toMatchObject({ error: { code: 'not_a_member' } });
  });

  it('adds an existing account to a second org, and they can sign in to either', async () => {
    const a = await registerOwner(server, 'orga');
    const b = await registerOwner(server, 'orgb');
    const added = await call(server, 'POST', '/api/v1/members', {
      token: b.accessToken,
      body: { email: a.email, roleId: await roleId(server, b, 'member') },
    });
    expect(added.status).toBe(201);
    const intoB = await call<{ org: { id: string } }>(server, 'POST', '/api/v1/auth/login', {
      body: { email: a.email, password: a.password, orgId: b.orgId },
    });
    expect(intoB.body.org.id).toBe(b.orgId);
    const dup = await call(server, 'POST', '/api/v1/members', {
      token: b.accessToken,
      body: { email: a.email, roleId: await roleId(server, b, 'member') },
    });
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ error: { code: 'already_member' } });
  });

  it('keeps at least one owner', async () => {
    const owner = await registerOwner(server);
    const me = await call<{ items: Array<{ id: string; userId: string }> }>(
      server,
      'GET',
      '/api/v1/members',
      {
        token: owner.accessToken,
      },
    );
    const self = me.body.items.find((m) => m.userId === owner.userId)!;
    const demote = await call(server, 'PATCH', `/api/v1/members/${self.id}`, {
      token: owner.accessToken,
      body: { roleId: await roleId(server, owner, 'viewer') },
    });
    expect(demote.status).toBe(409);
    expect(demote.body).toMatchObject({ error: { code: 'last_owner' } });
    expect(
      (await call(server, 'DELETE', `/api/v1/members/${self.id}`, { token: owner.accessToken })).status,
    ).toBe(409);
  });

  it('an admin cannot promote anyone to owner (owner holds billing:manage, admin does not)', async () => {
    const owner = await registerOwner(server);
    const admin = await addMember(server, owner, 'admin');
    const member = await addMember(server, owner, 'member');
    const res = await call(server, 'PATCH', `/api/v1/members/${member.memberId}`, {
      token: admin.accessToken,
      body: { roleId: await roleId(server, owner, 'owner') },
    });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: { code: 'permission_escalation' } });
  });
});

describe('API keys', () => {
  it('is shown once, stored hashed, works as a bearer token within its scopes, and can be revoked', async () => {
    const owner = await registerOwner(server);
    const created = await call<{ apiKey: { id: string; prefix: string }; key: string }>(
      server,
      'POST',
      '/api/v1/api-keys',
      { token: owner.accessToken, body: { name: 'reporting', scopes: ['members:read'] } },
    );
    expect(created.status).toBe(201);
    const { key, apiKey } = created.body;
    expect(key.startsWith(apiKey.prefix)).toBe(true);

    const stored = await server.ctx.database.query<{ key_hash: string }>(
      'select key_hash from api_keys where id = $1',
      [apiKey.id],
    );
    expect(stored.rows[0]?.key_hash).not.toContain(key);
    expect(stored.rows[0]?.key_hash).toMatch(/^[0-9a-f]{64}$/);

    const listed = await call(server, 'GET', '/api/v1/api-keys', { token: owner.accessToken });
    expect(JSON.stringify(listed.body)).not.toContain(key);

    expect((await call(server, 'GET', '/api/v1/members', { token: key })).status).toBe(200);
    const outOfScope = await call(server, 'GET', '/api/v1/roles', { token: key });
    expect(outOfScope.status).toBe(403);
    const me = await call(server, 'GET', '/api/v1/auth/me', { token: key });
    expect(me.body).toMatchObject({
      user: null,
      apiKey: { id: apiKey.id, name: 'reporting' },
      permissions: ['members:read'],
    });

    const used = await call<{ items: Array<{ id: string; lastUsedAt: string | null }> }>(
      server,
      'GET',
      '/api/v1/api-keys',
      { token: owner.accessToken },
    );
    expect(used.body.items.find((k) => k.id === apiKey.id)?.lastUsedAt).not.toBeNull();

    expect(
      (await call(server, 'DELETE', `/api/v1/api-keys/${apiKey.id}`, { token: owner.accessToken })).status,
    ).toBe(204);
    const revoked = await call(server, 'GET', '/api/v1/members', { token: key });
    expect(revoked.status).toBe(401);
    expect(revoked.body).toMatchObject({ error: { code: 'invalid_api_key' } });
    expect(await audit(owner.orgId, 'api_key.create')).toHaveLength(1);
    expect(await audit(owner.orgId, 'api_key.revoke')).toHaveLength(1);
  });

  it('stops working after it expires', async () => {
    const owner = await registerOwner(server);
    const created = await call<{ apiKey: { id: string }; key: string }>(server, 'POST', '/api/v1/api-keys', {
      token: owner.accessToken,
      body: {
        name: 'short',
        scopes: ['members:read'],
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      },
    });
    expect((await call(server, 'GET', '/api/v1/members', { token: created.body.key })).status).toBe(200);
    // An hour later (only Date is faked; the server's sockets and timers run as usual). The key was
    // used a moment ago, so this also proves a key kept between requests still expires on time.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 3_600_000 + 1_000);
      expect((await call(server, 'GET', '/api/v1/members', { token: created.body.key })).status).toBe(401);
    } finally {
      vi.useRealTimers();
    }
  });

  it('cannot carry scopes its creator lacks, or expire in the past', async () => {
    const owner = await registerOwner(server);
    const keyAdmin = await call(server, 'POST', '/api/v1/roles', {
      token: owner.accessToken,
      body: { name: 'key-admin', permissions: ['api_keys:write', 'api_keys:read'] },
    });
    expect(keyAdmin.status).toBe(201);
    const member = await addMember(server, owner, 'key-admin');
    const escalate = await call(server, 'POST', '/api/v1/api-keys', {
      token: member.accessToken,
      body: { name: 'sneaky', scopes: ['admin'] },
    });
    expect(escalate.status).toBe(403);
    expect(escalate.body).toMatchObject({ error: { code: 'permission_escalation' } });
    const past = await call(server, 'POST', '/api/v1/api-keys', {
      token: owner.accessToken,
      body: { name: 'old', scopes: ['members:read'], expiresAt: '2020-01-01T00:00:00Z' },
    });
    expect(past.status).toBe(400);
    expect(past.body).toMatchObject({
      error: { code: 'validation_failed', message: 'expiresAt must be in the future' },
    });
  });
});

describe('start-up admin', () => {
  it('is created once and left alone on the next start', async () => {
    const email = uniqueEmail('admin');
    const password = testPassword();
    const first = await server.domains.identity.auth.ensureOwner({ email, password });
    const second = await server.domains.identity.auth.ensureOwner({ email, password });
    expect(first.created).toBe(true);
    expect(second).toEqual({ created: false, userId: first.userId });
    const session = await login(server, email, password);
    const me = await call(server, 'GET', '/api/v1/auth/me', { token: session.accessToken });
    expect(me.body).toMatchObject({ role: { name: 'owner' }, org: { name: 'Switchboard' } });
  });
});
