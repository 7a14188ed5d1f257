import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymousClient, clientAs, failure } from './kit/api-client.ts';
import { startOperatorServer } from './kit/operator.ts';
import type { TestServer } from './kit/test-server.ts';
import { addMember, registerOwner, type Session } from './kit/users.ts';
import { ofType, openAuthed, subscribe } from './kit/ws-client.ts';

/**
 * The maintenance notice: the operator org's admins post and clear it; everyone signed in, in every org,
 * reads it and hears of changes live on the `notice` channel; nobody else may change it.
 */
let server: TestServer;
let operator: Session;

beforeAll(async () => {
  ({ server, admin: operator } = await startOperatorServer());
});
afterAll(async () => {
  await server?.close();
});

describe('the maintenance notice', () => {
  it('is posted by the operator, read by everyone signed in, and pushed live to every org', async () => {
    const tenant = await registerOwner(server, 'tenant');
    const viewer = await addMember(server, tenant, 'viewer');
    const socket = await openAuthed(server, viewer.accessToken);
    expect(await subscribe(socket, 'notice')).toMatchObject({ type: 'subscribed', channel: 'notice' });

    const posted = await clientAs(server, operator).PUT('/api/v1/admin/notice', {
      body: { message: '  Upgrading at 18:00 UTC; expect a minute of reconnects.  ', level: 'warning' },
    });
    expect(posted.response.status).toBe(200);
    expect(posted.data).toEqual({
      notice: {
        message: 'Upgrading at 18:00 UTC; expect a minute of reconnects.',
        level: 'warning',
        postedAt: expect.any(String),
      },
    });
    const live = await socket.next(ofType('event', { channel: 'notice' }));
    expect(live).toMatchObject({ event: 'notice.posted', data: posted.data });

    // A console opened later reads it, in any org.
    expect((await clientAs(server, viewer).GET('/api/v1/notice')).data).toEqual(posted.data);
    expect((await clientAs(server, tenant).GET('/api/v1/notice')).data).toEqual(posted.data);

    const cleared = await clientAs(server, operator).DELETE('/api/v1/admin/notice');
    expect(cleared.response.status).toBe(204);
    expect(await socket.next(ofType('event', { channel: 'notice' }))).toMatchObject({
      event: 'notice.cleared',
      data: { notice: null },
    });
    expect((await clientAs(server, viewer).GET('/api/v1/notice')).data).toEqual({ notice: null });
    // Clearing again changes nothing.
    expect((await clientAs(server, operator).DELETE('/api/v1/admin/notice')).response.status).toBe(204);
    await socket.close();
  });

  it('may be changed by nobody but the operator org: 403, and the notice stays as it was', async () => {
    await clientAs(server, operator).PUT('/api/v1/admin/notice', { body: { message: 'Operator says hi' } });
    const otherOwner = await registerOwner(server, 'other-owner');
    const operatorMember = await addMember(server, operator, 'member');

    const byOtherOrg = await clientAs(server, otherOwner).PUT('/api/v1/admin/notice', {
      body: { message: 'Free money' },
    });
    expect(failure(byOtherOrg)).toMatchObject({ status: 403, code: 'not_operator' });
    expect(failure(await clientAs(server, otherOwner).DELETE('/api/v1/admin/notice'))).toMatchObject({
      status: 403,
      code: 'not_operator',
    });
    // In the operator org, but without the admin permission.
    const byMember = await clientAs(server, operatorMember).PUT('/api/v1/admin/notice', {
      body: { message: 'Free money' },
    });
    expect(failure(byMember)).toEqual({
      status: 403,
      code: 'forbidden',
      message: 'this needs the admin permission',
    });
    expect(failure(await anonymousClient(server).GET('/api/v1/notice')).status).toBe(401);

    expect((await clientAs(server, otherOwner).GET('/api/v1/notice')).data?.notice).toMatchObject({
      message: 'Operator says hi',
      level: 'info',
    });
  });

  it('refuses an empty or overlong message with 400', async () => {
    const api = clientAs(server, operator);
    expect(failure(await api.PUT('/api/v1/admin/notice', { body: { message: '   ' } }))).toMatchObject({
      status: 400,
      code: 'validation_failed',
    });
    expect(
      failure(await api.PUT('/api/v1/admin/notice', { body: { message: 'x'.repeat(501) } })),
    ).toMatchObject({ status: 400, code: 'validation_failed' });
  });
});
