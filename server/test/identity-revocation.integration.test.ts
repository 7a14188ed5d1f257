import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAs, failure } from './kit/api-client.ts';
import { startTestServer, storageMode, type TestServer } from './kit/test-server.ts';
import { addMember, login, registerOwner, roleId } from './kit/users.ts';
import { openAuthed } from './kit/ws-client.ts';

/**
 * Instant revocation: removing a member, changing their role (or their role's permissions) and a new
 * password refuse the access tokens issued before, on the very next request and on every replica, and
 * close the sockets those tokens opened with 4401. Warm checks cost no query (a per-replica cache the
 * bus invalidates).
 */
let server: TestServer;
const cleanup: Array<() => Promise<unknown> | unknown> = [];

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
  await server?.close();
});

const REVOKED_REASON = 'your access was revoked or changed: refresh your token or sign in again';

describe('revocation on one server', () => {
  it("refuses a removed member's still-valid access token on the next request and closes their socket 4401", async () => {
    const owner = await registerOwner(server);
    const member = await addMember(server, owner, 'member');
    const asMember = clientAs(server, member);
    // Warm: the server has checked this token once and keeps the answer in memory.
    expect((await asMember.GET('/api/v1/agents')).response.status).toBe(200);
    const socket = await openAuthed(server, member.accessToken);
    cleanup.push(() => socket.close());

    const removed = await clientAs(server, owner).DELETE('/api/v1/members/{id}', {
      params: { path: { id: member.memberId } },
    });
    expect(removed.response.status).toBe(204);

    expect(failure(await asMember.GET('/api/v1/agents'))).toEqual({
      status: 401,
      code: 'membership_ended',
      message: 'you are no longer a member of this organisation',
    });
    expect(await socket.closed).toEqual({ code: 4401, reason: REVOKED_REASON });
    // The owner, in the same org, is untouched.
    expect((await clientAs(server, owner).GET('/api/v1/agents')).response.status).toBe(200);
  });

  it('refuses tokens issued before a role change; a refresh gives a token with the new role at once', async () => {
    const owner = await registerOwner(server);
    const member = await addMember(server, owner, 'admin');
    const asMember = clientAs(server, member);
    expect((await asMember.GET('/api/v1/members')).response.status).toBe(200);
    const socket = await openAuthed(server, member.accessToken);
    cleanup.push(() => socket.close());

    const changed = await clientAs(server, owner).PATCH('/api/v1/members/{id}', {
      params: { path: { id: member.memberId } },
      body: { roleId: await roleId(server, owner, 'viewer') },
    });
    expect(changed.response.status).toBe(200);

    expect(failure(await asMember.GET('/api/v1/members'))).toMatchObject({
      status: 401,
      code: 'session_revoked',
    });
    expect(await socket.closed).toEqual({ code: 4401, reason: REVOKED_REASON });
    // A token issued after the change (in the same millisecond or not) carries the viewer role.
    const refreshed = await server.api.POST('/api/v1/auth/refresh', {
      body: { refreshToken: member.refreshToken },
    });
    expect(refreshed.response.status).toBe(200);
    const fresh = clientAs(server, refreshed.data!.accessToken);
    const me = await fresh.GET('/api/v1/auth/me');
    expect(me.data?.role?.name).toBe('viewer');
    expect(failure(await fresh.POST('/api/v1/agents', { body: { name: 'nope' } }))).toMatchObject({
      status: 403,
    });
  });

  it("refuses the holders' tokens when a custom role's permissions change, not when only its name does", async () => {
    const owner = await registerOwner(server);
    const role = (
      await clientAs(server, owner).POST('/api/v1/roles', {
        body: { name: `ops-${randomBytes(3).toString('hex')}`, permissions: ['members:read', 'roles:read'] },
      })
    ).data!;
    const member = await addMember(server, owner, role.name);
    const asMember = clientAs(server, member);
    expect((await asMember.GET('/api/v1/roles')).response.status).toBe(200);

    await clientAs(server, owner).PATCH('/api/v1/roles/{id}', {
      params: { path: { id: role.id } },
      body: { name: `${role.name}-renamed` },
    });
    expect((await asMember.GET('/api/v1/roles')).response.status).toBe(200);

    await clientAs(server, owner).PATCH('/api/v1/roles/{id}', {
      params: { path: { id: role.id } },
      body: { permissions: ['members:read'] },
    });
    expect(failure(await asMember.GET('/api/v1/roles'))).toMatchObject({
      status: 401,
      code: 'session_revoked',
    });
  });

  it('a new password (create-admin) refuses every earlier token of the user, in every org', async () => {
    const owner = await registerOwner(server);
    const other = await registerOwner(server, 'other');
    await clientAs(server, other).POST('/api/v1/members', {
      body: { email: owner.email, roleId: await roleId(server, other, 'member') },
    });
    const inOther = (
      await server.api.POST('/api/v1/auth/login', {
        body: { email: owner.email, password: owner.password, orgId: other.orgId },
      })
    ).data!;
    const here = clientAs(server, owner);
    const there = clientAs(server, inOther.accessToken);
    expect((await here.GET('/api/v1/auth/me')).response.status).toBe(200);
    expect((await there.GET('/api/v1/auth/me')).response.status).toBe(200);

    const newPassword = `${owner.password}-new`;
    await server.domains.identity.auth.ensureOwner({
      email: owner.email,
      password: newPassword,
      resetPassword: true,
    });

    expect(failure(await here.GET('/api/v1/auth/me'))).toMatchObject({
      status: 401,
      code: 'session_revoked',
    });
    expect(failure(await there.GET('/api/v1/auth/me'))).toMatchObject({
      status: 401,
      code: 'session_revoked',
    });
    // Their refresh tokens ended too; the new password signs in.
    const refresh = await server.api.POST('/api/v1/auth/refresh', {
      body: { refreshToken: owner.refreshToken },
    });
    expect(failure(refresh).status).toBe(401);
    const again = await login(server, owner.email, newPassword);
    expect((await clientAs(server, again).GET('/api/v1/auth/me')).response.status).toBe(200);
  });

  it('a warm check costs no query: requests with a known token read no session marks', async () => {
    const owner = await registerOwner(server);
    const api = clientAs(server, owner);
    await api.GET('/api/v1/auth/me');
    const sessions = server.domains.identity.sessions;
    const before = sessions.reads();
    for (let i = 0; i < 5; i++) expect((await api.GET('/api/v1/agents')).response.status).toBe(200);
    expect(sessions.reads()).toBe(before);
    // A revocation in another org leaves this entry alone; one of this user re-reads it once.
    const other = await registerOwner(server, 'elsewhere');
    const gone = await addMember(server, other, 'member');
    await clientAs(server, other).DELETE('/api/v1/members/{id}', { params: { path: { id: gone.memberId } } });
    const afterOther = sessions.reads();
    expect((await api.GET('/api/v1/agents')).response.status).toBe(200);
    expect(sessions.reads()).toBe(afterOther);
    await server.domains.identity.auth.sessionsEnded(owner.userId);
    expect((await api.GET('/api/v1/agents')).response.status).toBe(200);
    expect(sessions.reads()).toBe(afterOther + 1);
  });
});

const redisUrl = process.env.TEST_REDIS_URL;

describe.skipIf(!redisUrl || storageMode !== 'postgres')('revocation across replicas', () => {
  it('a member removed on replica A is refused on replica B at once, and their socket on B closes 4401', async () => {
    const shared = {
      REDIS_URL: redisUrl!,
      REDIS_PREFIX: `sbtest:${randomBytes(4).toString('hex')}:`,
      WORKERS_IN_PROCESS: 'false',
    };
    const a = await startTestServer({ env: shared });
    cleanup.push(() => a.close());
    const b = await startTestServer({ env: shared });
    cleanup.push(() => b.close());

    const owner = await registerOwner(a);
    const removed = await addMember(a, owner, 'member');
    const demoted = await addMember(a, owner, 'admin');
    const removedOnB = clientAs(b, removed);
    const demotedOnB = clientAs(b, demoted);
    // B has checked both tokens, so it answers from memory until told otherwise.
    expect((await removedOnB.GET('/api/v1/agents')).response.status).toBe(200);
    expect((await demotedOnB.GET('/api/v1/members')).response.status).toBe(200);
    const removedSocket = await openAuthed(b, removed.accessToken);
    const demotedSocket = await openAuthed(b, demoted.accessToken);
    cleanup.push(
      () => removedSocket.close(),
      () => demotedSocket.close(),
    );

    const onA = clientAs(a, owner);
    await onA.DELETE('/api/v1/members/{id}', { params: { path: { id: removed.memberId } } });
    await onA.PATCH('/api/v1/members/{id}', {
      params: { path: { id: demoted.memberId } },
      body: { roleId: await roleId(a, owner, 'viewer') },
    });

    // The sockets close when B hears of the changes through Redis; once they have, B's caches have dropped.
    expect(await removedSocket.closed).toEqual({ code: 4401, reason: REVOKED_REASON });
    expect(await demotedSocket.closed).toEqual({ code: 4401, reason: REVOKED_REASON });
    expect(failure(await removedOnB.GET('/api/v1/agents'))).toMatchObject({
      status: 401,
      code: 'membership_ended',
    });
    expect(failure(await demotedOnB.GET('/api/v1/members'))).toMatchObject({
      status: 401,
      code: 'session_revoked',
    });
    // A fresh token from A works on B with the new role.
    const refreshed = await a.api.POST('/api/v1/auth/refresh', {
      body: { refreshToken: demoted.refreshToken },
    });
    const fresh = clientAs(b, refreshed.data!.accessToken);
    expect((await fresh.GET('/api/v1/auth/me')).data?.role?.name).toBe('viewer');
  });
});
