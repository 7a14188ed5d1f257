import type { ChannelRegistry } from '../realtime/channels.ts';
import type { StatsRegistry } from '../realtime/stats.ts';
import type { TasksService } from './service.ts';

/**
 * `tasks` on the WebSocket: `task.created`, `task.updated` (with the task) and `task.deleted` (with its
 * id), for readers with `tasks:read`; and the dashboard's task figures.
 */
export function registerTasksRealtime(
  realtime: { channels: ChannelRegistry; stats: StatsRegistry },
  tasks: TasksService,
): void {
  realtime.channels.register({
    kind: 'tasks',
    hasId: false,
    permission: 'tasks:read',
    topic: (p) => `org:${p.orgId}`,
    accepts: (event, p) => event.type.startsWith('task.') && realtime.channels.maySee(event, p),
  });
  realtime.stats.register({
    name: 'tasks',
    permission: 'tasks:read',
    compute: (orgId) => tasks.figures(orgId),
  });
}
