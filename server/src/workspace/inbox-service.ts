import type { ApprovalDecision, PendingApproval } from '../execution/records.ts';
import type { Principal } from '../platform/auth.ts';
import type { Bus } from '../platform/bus.ts';
import type { Db } from '../platform/db/index.ts';
import { inTransaction, type Work } from '../platform/db/work.ts';
import { AppError } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import { decodeCursor, toPage } from '../platform/pagination.ts';
import { InboxErrors } from './errors.ts';
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

/**
 * Puts a paused run back on the queue with a person's decision, in the decision's unit of work; false
 * when the run no longer waits. The runs domain provides it.
 */
export type ResumeRun = (
  work: Work,
  orgId: string,
  runId: string,
  decision: ApprovalDecision,
) => Promise<boolean>;

export type BulkAction = 'read' | 'unread' | 'close' | 'approve' | 'reject';
export type BulkResult =
  | { id: string; ok: true; item: ReturnType<typeof presentInboxItem> }
  | { id: string; ok: false; error: { code: string; message: string } };

/** The inbox: what needs a person. Approving or rejecting an approval resumes its run. */
export function createInboxService(deps: { db: Db; bus: Bus; resumeRun: ResumeRun }) {
  const { db, bus } = deps;

  async function changed(orgId: string, id: string, type: string) {
    await bus.publish({ topic: `org:${orgId}`, type, orgId, data: { inboxItemId: id } });
  }

  /** An item the reader may see: of their org, and meant for everyone or for a permission they hold. */
  async function requireItem(p: Principal, id: string) {
    const item = await store.findInboxItem(db, p.orgId, id);
    if (!item || (item.audience !== null && !p.scopes.has(item.audience))) throw InboxErrors.notFound(id);
    return item;
  }

  async function decide(p: Principal, id: string, approved: boolean, reason: string | undefined) {
    const item = await requireItem(p, id);
    if (item.kind !== 'approval' || !item.runId) throw InboxErrors.notAnApproval(id);
    const runId = item.runId;
    const decided = await inTransaction(db, async (work) => {
      const now = new Date();
      const closed = await store.updateInboxItem(
        work.tx,
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
      if (!closed) throw InboxErrors.alreadyDecided(id, item.decision);
      const decision = { approved, reason, decidedBy: p.id };
      if (!(await deps.resumeRun(work, p.orgId, runId, decision))) throw InboxErrors.runNotWaiting(runId);
      return closed;
    });
    await changed(p.orgId, id, approved ? 'inbox.approved' : 'inbox.rejected');
    return decided;
  }

  const service = {
    /** Opens the approval request of a paused run, in the pause's unit of work; answers its id. */
    async openApproval(work: Work, run: { id: string; orgId: string }, approval: PendingApproval) {
      const item = await store.insertInboxItem(work.tx, {
        id: newId('inb'),
        orgId: run.orgId,
        kind: 'approval',
        title: `Approve ${approval.toolName}?`,
        body: `Run ${run.id} wants to call ${approval.toolName} with ${JSON.stringify(approval.arguments)}`,
        runId: run.id,
        payload: { ...approval },
      });
      return item.id;
    },

    /**
     * Opens a notice (a budget alert, a failed payment) in the caller's unit of work, or on its own;
     * `audience` is the permission a reader needs to see it. Published once it has committed.
     */
    async openNotice(
      notice: {
        orgId: string;
        title: string;
        body: string;
        audience?: string | undefined;
        payload?: Record<string, unknown> | undefined;
      },
      outer?: Work,
    ) {
      return inTransaction(
        db,
        async (work) => {
          const item = await store.insertInboxItem(work.tx, {
            id: newId('inb'),
            orgId: notice.orgId,
            kind: 'notice',
            title: notice.title,
            body: notice.body,
            audience: notice.audience ?? null,
            payload: notice.payload ?? {},
          });
          work.afterCommit(() => changed(notice.orgId, item.id, 'inbox.created'));
          return item.id;
        },
        outer,
      );
    },

    /**
     * Closes an open item in the caller's unit of work: a notice whose subject was settled elsewhere (a
     * proposed fix a person approved or rejected on its own page).
     */
    async closeIn(work: Work, orgId: string, id: string) {
      const now = new Date();
      const closed = await store.updateInboxItem(
        work.tx,
        orgId,
        id,
        { status: 'closed', closedAt: now },
        true,
      );
      if (closed) work.afterCommit(() => changed(orgId, id, 'inbox.closed'));
    },

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
      const rows = await store.listInboxItems(
        db,
        p.orgId,
        { ...q, scopes: p.scopes },
        { limit: q.limit + 1, before: decodeCursor(q.cursor) },
      );
      const page = toPage(rows, q.limit);
      return {
        items: page.items.map(presentInboxItem),
        nextCursor: page.nextCursor,
        unread: await store.countUnread(db, p.orgId, p.scopes),
      };
    },
    async get(p: Principal, id: string) {
      return presentInboxItem(await requireItem(p, id));
    },
    async markRead(p: Principal, id: string, read: boolean) {
      await requireItem(p, id);
      const item = await store.updateInboxItem(db, p.orgId, id, { readAt: read ? new Date() : null });
      if (!item) throw InboxErrors.notFound(id);
      await changed(p.orgId, id, 'inbox.read');
      return presentInboxItem(item);
    },
    async close(p: Principal, id: string) {
      const item = await requireItem(p, id);
      if (item.kind === 'approval' && item.status === 'open') throw InboxErrors.approvalPending(id);
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
