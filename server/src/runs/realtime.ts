import { runTopic } from '../execution/records.ts';
import type { ChannelRegistry } from '../realtime/channels.ts';
import type { StatsRegistry } from '../realtime/stats.ts';
import { presentRunEvent } from './present.ts';
import type { RunsService } from './service.ts';

/** `runs:<id>` on the WebSocket (the run's log, live and replayable from a seq) and the dashboard's run figures. */
export function registerRunsRealtime(
  realtime: { channels: ChannelRegistry; stats: StatsRegistry },
  runs: RunsService,
): void {
  realtime.channels.register({
    kind: 'runs',
    hasId: true,
    permission: 'runs:read',
    authorize: (p, id) => runs.exists(p.orgId, id),
    topic: (_p, id) => runTopic(id!),
    replay: async (p, id, afterSeq) => (await runs.eventsOf(p.orgId, id, afterSeq)).map(presentRunEvent),
  });
  realtime.stats.register({
    name: 'runs',
    permission: 'runs:read',
    compute: (orgId) => runs.figures(orgId),
  });
}
