import { and, eq, gte, sql } from 'drizzle-orm';
import type { Db } from '../platform/db/index.ts';
import type { ChannelRegistry } from '../realtime/channels.ts';
import type { StatsRegistry } from '../realtime/stats.ts';
import type { InboxService } from '../workspace/inbox-service.ts';
import { runTopic } from './events.ts';
import { presentRunEvent } from './service.ts';
import * as store from './store.ts';
import { runs } from './tables.ts';

/** `runs:<id>` on the WebSocket: the run's log, live and replayable from a seq. */
export function registerRunChannel(channels: ChannelRegistry, db: Db): void {
  channels.register({
    kind: 'runs',
    hasId: true,
    permission: 'runs:read',
    authorize: async (p, id) => (await store.findRun(db, p.orgId, id)) !== undefined,
    topic: (_p, id) => runTopic(id!),
    replay: async (p, id, afterSeq) =>
      (await store.listRunEvents(db, p.orgId, id, afterSeq)).map(presentRunEvent),
  });
}

/** Finished runs by outcome in the last hour, for one org. */
async function lastHour(db: Db, orgId: string): Promise<{ succeeded: number; failed: number }> {
  const rows = await db
    .select({ status: runs.status, n: sql<number>`count(*)::int` })
    .from(runs)
    .where(and(eq(runs.orgId, orgId), gte(runs.finishedAt, new Date(Date.now() - 3_600_000))))
    .groupBy(runs.status);
  const of = (s: string) => rows.find((r) => r.status === s)?.n ?? 0;
  return { succeeded: of('succeeded'), failed: of('failed') };
}

/** The dashboard figures the runs and inbox domains own. */
export function registerRunStats(stats: StatsRegistry, db: Db, inbox: InboxService): void {
  stats.register({
    name: 'runs',
    permission: 'runs:read',
    async compute(orgId) {
      const byStatus = await store.countRunsByStatus(db, orgId);
      const hour = await lastHour(db, orgId);
      return {
        active: (byStatus.running ?? 0) + (byStatus.waiting_approval ?? 0),
        running: byStatus.running ?? 0,
        queued: byStatus.queued ?? 0,
        waitingApproval: byStatus.waiting_approval ?? 0,
        succeededLastHour: hour.succeeded,
        failedLastHour: hour.failed,
      };
    },
  });
  stats.register({
    name: 'inboxUnread',
    permission: 'inbox:read',
    compute: (orgId) => inbox.unreadCount(orgId),
  });
}
