import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAs, rawRequest, type Schema } from './kit/api-client.ts';
import { inboxItemFor, makeRunAgent, submitRun, waitForRun } from './kit/runs.ts';
import { startTestServer, type TestServer } from './kit/test-server.ts';
import { registerOwner, type Session } from './kit/users.ts';

/** POST /inbox/bulk: one action on many items, each answering for itself (STYLE 12). */

let server: TestServer;
let owner: Session;

beforeAll(async () => {
  server = await startTestServer();
  owner = await registerOwner(server, 'bulk');
});
afterAll(async () => {
  await server?.close();
});

const bulk = (body: Schema<'InboxBulkRequestInput'>, session = owner) =>
  clientAs(server, session).POST('/api/v1/inbox/bulk', { body });

/** A run paused for approval in `session`'s org, and its inbox item. */
async function pendingApproval(session: Session) {
  const agent = await makeRunAgent(server, session);
  const run = await submitRun(server, session, {
    agentId: agent.id,
    input: '/tool demo.approval {"action":"bulk"}',
  });
  await waitForRun(server, session, run.id, ['waiting_approval']);
  return { runId: run.id, itemId: (await inboxItemFor(server, session, run.id)).id };
}

describe('POST /inbox/bulk', () => {
  it('approves many at once; an item that cannot be approved answers alone', async () => {
    const [first, second] = [await pendingApproval(owner), await pendingApproval(owner)];
    const stranger = await registerOwner(server, 'other');
    const theirs = await pendingApproval(stranger);

    const res = await bulk({
      ids: [first.itemId, 'inb_missing', second.itemId, theirs.itemId],
      action: 'approve',
    });
    expect(res.response.status).toBe(200);
    expect(res.data!.items.map((r) => [r.id, r.ok, r.ok ? r.item.status : r.error.code])).toEqual([
      [first.itemId, true, 'closed'],
      ['inb_missing', false, 'not_found'],
      [second.itemId, true, 'closed'],
      [theirs.itemId, false, 'not_found'],
    ]);
    await waitForRun(server, owner, first.runId, ['succeeded']);
    await waitForRun(server, owner, second.runId, ['succeeded']);
    // The other org's approval is untouched.
    await waitForRun(server, stranger, theirs.runId, ['waiting_approval']);

    const again = await bulk({ ids: [first.itemId], action: 'reject' });
    expect(again.data!.items).toEqual([
      expect.objectContaining({
        id: first.itemId,
        ok: false,
        error: expect.objectContaining({ code: 'already_decided' }),
      }),
    ]);
  });

  it('marks read and unread, and refuses to close an open approval', async () => {
    const { itemId } = await pendingApproval(owner);
    const read = await bulk({ ids: [itemId], action: 'read' });
    expect(read.data!.items[0]).toMatchObject({ ok: true, item: { read: true } });
    const unread = await bulk({ ids: [itemId], action: 'unread' });
    expect(unread.data!.items[0]).toMatchObject({ ok: true, item: { read: false } });
    const close = await bulk({ ids: [itemId], action: 'close' });
    expect(close.data!.items[0]).toMatchObject({ ok: false, error: { code: 'approval_pending' } });
  });

  it('validates the request as a whole', async () => {
    for (const body of [
      { ids: [], action: 'read' },
      { ids: ['a', 'a'], action: 'read' },
      { ids: ['a'], action: 'archive' },
      { ids: Array.from({ length: 101 }, (_, i) => `inb_${i}`), action: 'read' },
    ]) {
      // Bodies the API refuses, some of a shape the typed client would not send: raw.
      const res = await rawRequest(server, 'POST', '/api/v1/inbox/bulk', { token: owner.accessToken, body });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: { code: 'validation_failed' } });
    }
  });
});
