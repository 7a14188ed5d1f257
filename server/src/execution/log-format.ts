import type { ExecutionEvent, LoggedEvent, TurnUsage } from './events.ts';

/**
 * How execution events are kept in a run's log (`run_events`: a `type` column and the rest as JSON
 * `data`), and how entries written by earlier versions are read as today's events.
 *
 * Before the one event vocabulary, the log had its own: `run.resumed` / `run.recovered` (now
 * `run.started` with a `cause`), `run.cancelled` (now `run.failed` with code `cancelled`),
 * `run.retrying` (now an `error` with code `retrying`), and thinner payloads (no run id on
 * `run.queued`, no model on `run.started`, no agent on `run.completed`). Those entries stay in
 * databases, so the reader fills in what they lack from the run and from the entries before them
 * (test/fixtures/run-logs holds such logs). An entry written today passes through unchanged.
 */

/** A row of the log as the store returns it. */
export interface StoredEntry {
  seq: number;
  type: string;
  data: Record<string, unknown>;
  at: string | Date;
}

/** The stored form of an event: its type apart, the rest as data. */
export function storedForm(event: ExecutionEvent): { type: string; data: Record<string, unknown> } {
  const { type, ...data } = event;
  return { type, data };
}

const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);
const int = (v: unknown): number => (typeof v === 'number' && Number.isInteger(v) ? v : 0);

/** The run a log belongs to, for what old entries did not record. */
export interface LogOwner {
  id: string;
  conversationId: string | null;
  agentId: string;
  /** The model of the run's agent, for old `run.started` entries; `unknown` when not known. */
  model?: string | undefined;
}

/**
 * Reads one run's log in order. Keeps who is speaking, so an old `run.completed` names the agent
 * that spoke last; read a log from its start (a resumed stream reads the entries before its resume
 * point too, without sending them).
 */
export function createLogReader(run: LogOwner) {
  let speaking = run.agentId;

  /** The tool call a `tool.called` or `approval.required` entry names. */
  const toolCall = (d: Record<string, unknown>) => ({
    name: str(d.name),
    arguments: d.arguments,
    callId: str(d.callId),
    agentId: str(d.agentId, speaking),
  });

  function upgrade(type: string, d: Record<string, unknown>): ExecutionEvent | undefined {
    switch (type) {
      case 'run.queued':
        return {
          type,
          runId: str(d.runId, run.id),
          conversationId:
            d.conversationId === undefined ? run.conversationId : (d.conversationId as string | null),
          agentId: str(d.agentId, run.agentId),
        };
      case 'run.started':
      case 'run.resumed':
      case 'run.recovered': {
        const cause =
          type === 'run.resumed' ? 'approval' : type === 'run.recovered' ? 'recovery' : (d.cause ?? 'start');
        speaking = str(d.agentId, speaking);
        return {
          type: 'run.started',
          agentId: speaking,
          model: str(d.model, run.model ?? 'unknown'),
          attempt: int(d.attempt),
          resumed: cause !== 'start',
          cause: cause as 'start' | 'approval' | 'recovery',
        };
      }
      case 'message.delta':
      case 'message.completed':
        speaking = str(d.agentId, speaking);
        return { type, text: str(d.text), agentId: speaking };
      case 'tool.called':
        return { type, ...toolCall(d) };
      case 'tool.result':
        return {
          type,
          name: str(d.name),
          callId: str(d.callId),
          output: str(d.output),
          isError: d.isError === true,
          agentId: str(d.agentId, speaking),
        };
      case 'handoff':
        speaking = str(d.to, speaking);
        return { type, from: str(d.from), to: str(d.to) };
      case 'approval.required':
        return { type, ...toolCall(d), inboxItemId: str(d.inboxItemId) };
      case 'approval.decided':
        return {
          type,
          approved: d.approved === true,
          reason: typeof d.reason === 'string' ? d.reason : null,
          by: str(d.by),
        };
      case 'run.completed':
        speaking = str(d.agentId, speaking);
        return { type, output: str(d.output), agentId: speaking, usage: d.usage as TurnUsage };
      case 'run.failed':
        return {
          type,
          code: str(d.code, 'internal_error'),
          message: str(d.message),
          ...(d.details === undefined ? {} : { details: d.details }),
        };
      case 'run.cancelled':
        return { type: 'run.failed', code: 'cancelled', message: 'the run was cancelled' };
      case 'run.retrying':
        return {
          type: 'error',
          code: 'retrying',
          message: `attempt ${int(d.attempt)} failed (${str(d.message, 'a transient failure')}); the turn starts again`,
        };
      case 'error':
        return { type, code: str(d.code), message: str(d.message) };
      default:
        return undefined; // a type this version does not know: left out, not guessed at
    }
  }

  return {
    read(entry: StoredEntry): LoggedEvent | undefined {
      const event = upgrade(entry.type, entry.data);
      if (!event) return undefined;
      const at = typeof entry.at === 'string' ? entry.at : entry.at.toISOString();
      return { seq: entry.seq, at, event };
    },
  };
}
