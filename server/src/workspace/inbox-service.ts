import type { PgBoss } from 'pg-boss';
import type { Principal } from '../platform/auth.ts';
import type { Bus } from '../platform/bus.ts';
import type { Db, Tx } from '../platform/db/index.ts';
import { AppError, Errors } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import { decodeCursor, toPage } from '../platform/pagination.ts';
import { inRunTransaction } from '../runs/events.ts';
import type { PendingApproval } from '../runs/executor.ts';
import { resumeRun } from '../runs/service.ts';
import * as store from './inbox-store.ts';

export const presentInboxItem = (i: store.InboxItemRecord) => ({
  id: i.id,
  kind: i.kind,
  title: i.title,
  body: i.body,
  runId: i.runId,
  payload: i.payload,
  status: i.status,
  decision: i.decision,
  decisionReason: i.decisionReason,
  decidedBy: i.decidedBy,
  read: i.readAt !== null,
  readAt: i.readAt?.toISOString() ?? null,
  closedAt: i.closedAt?.toISOString() ?? null,
  createdAt: i.createdAt.toISOString(),
});

/** Creates the approval item for a paused run, inside the pause's transaction. */
export async function createApprovalItem(
  tx: Tx,
  run: { id: string; orgId: string },
  approval: PendingApproval,
): Promise<string> {
  const item = await store.insertInboxItem(tx, {
    id: newId('inb'),
    orgId: run.orgId,
    kind: 'approval',
    title: `Approve ${approval.toolName}?`,
    body: `Run ${run.id} wants to call ${approval.toolName} with ${JSON.stringify(approval.arguments)}`,
    runId: run.id,
    payload: { ...approval },
  });
  return item.id;
}

export type BulkAction = 'read' | 'unread' | 'close' | 'approve' | 'reject';
export type BulkResult =
  | { id: string; ok: true; item: ReturnType<typeof presentInboxItem> }
  | { id: string; ok: false; error: { code: string; message: string } };

/** The inbox: what needs a person. Approving or rejecting an approval resumes its run. */
export function createInboxService(deps: { db: Db; bus: Bus; queue: PgBoss }) {
  const { db, bus, queue } = deps;

  async function changed(orgId: string, id: string, type: string) {
    await bus.publish({ topic: `org:${orgId}`, type, orgId, data: { inboxItemId: id } });
  }

  async function decide(p: Principal, id: string, approved: boolean, reason: string | undefined) {
    const item = await store.findInboxItem(db, p.orgId, id);
    if (!item) throw Errors.notFound('inbox item', id);
    if (item.kind !== 'approval' || !item.runId) {
      throw new AppError(409, 'not_an_approval', `inbox item ${id} is not an approval request`);
    }
    const runId = item.runId;
    const decided = await inRunTransaction(db, bus, async (tx, emit) => {
      const now = new Date();
      const closed = await store.updateInboxItem(
        tx,
        p.orgId,
        id,
        {
          status: 'closed',
          decision: approved ? 'approved' : 'rejected',
          decisionReason: reason ?? null,
          decidedBy: p.id,
          closedAt: now,
          readAt: item.readAt ?? now,
        },
        true,
      );
      if (!closed)
        throw new AppError(
          409,
          'already_decided',
          `inbox item ${id} was already ${item.decision ?? 'closed'}`,
        );
      const resumed = await resumeRun(tx, emit, queue, p.orgId, runId, { approved, reason, decidedBy: p.id });
      if (!resumed)
        throw new AppError(409, 'run_not_waiting', `run ${runId} is no longer waiting for approval`);
      return closed;
    });
    await changed(p.orgId, id, approved ? 'inbox.approved' : 'inbox.rejected');
    return decided;
  }

  const service = {
    async list(
      p: Principal,
      q: {
        status?: 'open' | 'closed' | undefined;
        kind?: 'approval' | 'notice' | undefined;
        unread?: boolean | undefined;
        limit: number;
        cursor?: string | undefined;
      },
    ) {
      const rows = await store.listInboxItems(db, p.orgId, q, {
        limit: q.limit + 1,
        before: decodeCursor(q.cursor),
      });
      const page = toPage(rows, q.limit);
      return {
        items: page.items.map(presentInboxItem),
        nextCursor: page.nextCursor,
        unread: await store.countUnread(db, p.orgId),
      };
    },
    async get(p: Principal, id: string) {
      const item = await store.findInboxItem(db, p.orgId, id);
      if (!item) throw Errors.notFound('inbox item', id);
      return presentInboxItem(item);
    },
    async markRead(p: Principal, id: string, read: boolean) {
      const item = await store.updateInboxItem(db, p.orgId, id, { readAt: read ? new Date() : null });
      if (!item) throw Errors.notFound('inbox item', id);
      await changed(p.orgId, id, 'inbox.read');
      return presentInboxItem(item);
    },
    async close(p: Principal, id: string) {
      const item = await store.findInboxItem(db, p.orgId, id);
      if (!item) throw Errors.notFound('inbox item', id);
      if (item.kind === 'approval' && item.status === 'open') {
        throw new AppError(
          409,
          'approval_pending',
          `inbox item ${id} waits for a decision; approve or reject it`,
        );
      }
      const closed = await store.updateInboxItem(db, p.orgId, id, {
        status: 'closed',
        closedAt: item.closedAt ?? new Date(),
      });
      await changed(p.orgId, id, 'inbox.closed');
      return presentInboxItem(closed!);
    },
    approve: async (p: Principal, id: string, reason?: string) =>
      presentInboxItem(await decide(p, id, true, reason)),
    reject: async (p: Principal, id: string, reason?: string) =>
      presentInboxItem(await decide(p, id, false, reason)),
    unreadCount: (orgId: string) => store.countUnread(db, orgId),

    /**
     * One action on many items, each on its own (STYLE 12): a refusal (already decided, not found) is
     * that item's answer, and the others go ahead. In order, one at a time, like the single routes.
     */
    async bulk(p: Principal, ids: string[], action: BulkAction, reason?: string): Promise<BulkResult[]> {
      const act = (id: string) => {
        if (action === 'read' || action === 'unread') return service.markRead(p, id, action === 'read');
        if (action === 'close') return service.close(p, id);
        return action === 'approve' ? service.approve(p, id, reason) : service.reject(p, id, reason);
      };
      const results: BulkResult[] = [];
      for (const id of ids) {
        try {
          results.push({ id, ok: true, item: await act(id) });
        } catch (err) {
          if (!(err instanceof AppError) || err.status >= 500) throw err;
          results.push({ id, ok: false, error: { code: err.code, message: err.message } });
        }
      }
      return results;
    },
  };
  return service;
}

export type InboxService = ReturnType<typeof createInboxService>;
