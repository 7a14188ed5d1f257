import type { Bus } from '../platform/bus.ts';
import type { Db } from '../platform/db/index.ts';
import type { StatsRegistry } from '../realtime/stats.ts';
import { createInboxService, type ResumeRun } from './inbox-service.ts';
import * as inboxStore from './inbox-store.ts';
import { createUpdatesService, type UpdatesDeps } from './updates-service.ts';

/**
 * Wires the workspace: the inbox (what needs a person; approving resumes a run through `resumeRun`)
 * and the activity feed (read from the owning domains through their services).
 */
export function createWorkspaceModule(deps: {
  db: Db;
  bus: Bus;
  resumeRun: ResumeRun;
  feed: Omit<UpdatesDeps, 'names'> & { names: Omit<UpdatesDeps['names'], 'inboxItems'> };
}) {
  const { db } = deps;
  const inbox = createInboxService({ db, bus: deps.bus, resumeRun: deps.resumeRun });
  const updates = createUpdatesService({
    ...deps.feed,
    names: { ...deps.feed.names, inboxItems: (orgId, ids) => inboxStore.toolNamesOf(db, orgId, ids) },
  });
  return {
    inbox,
    updates,
    /** The dashboard's unread count. */
    registerStats(stats: StatsRegistry): void {
      stats.register({
        name: 'inboxUnread',
        permission: 'inbox:read',
        compute: (orgId) => inbox.unreadCount(orgId),
      });
    },
  };
}

export type WorkspaceModule = ReturnType<typeof createWorkspaceModule>;
