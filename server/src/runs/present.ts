import type { LoggedEvent } from '../execution/events.ts';
import type { RunRecord } from './store.ts';

export const presentRun = (r: RunRecord) => ({
  id: r.id,
  agentId: r.agentId,
  conversationId: r.conversationId,
  status: r.status,
  input: r.input,
  metadata: r.metadata,
  output: r.output,
  error: r.error,
  usage: r.usage,
  source: r.source,
  attempts: r.attempts,
  lastSeq: r.lastSeq,
  createdBy: r.createdBy,
  createdAt: r.createdAt.toISOString(),
  startedAt: r.startedAt?.toISOString() ?? null,
  finishedAt: r.finishedAt?.toISOString() ?? null,
  updatedAt: r.updatedAt.toISOString(),
});

/** An entry of a run's log as `/runs/{id}/events` answers it: the event, its type beside it. */
export const presentRunEvent = (e: LoggedEvent) => ({
  seq: e.seq,
  type: e.event.type,
  data: e.event,
  at: e.at,
});
