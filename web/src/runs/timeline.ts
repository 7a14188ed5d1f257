import type { components } from '@switchboard/client';
import type { ChannelEvent } from '../realtime/socket.ts';

export type RunEvent = components['schemas']['RunEvent'];
export type RunStatus = components['schemas']['Run']['status'];

export const TERMINAL_STATUSES: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'cancelled']);
const TERMINAL_EVENTS = new Set(['run.completed', 'run.failed', 'run.cancelled']);

/**
 * A run channel event as a run log entry. Replayed events carry the entry's data; live ones carry the
 * whole stored entry (`{runId, orgId, seq, type, data, at}`) as their data, so both are accepted.
 */
export function runEventOf(e: ChannelEvent): RunEvent | undefined {
  if (typeof e.seq !== 'number') return undefined;
  let data = e.data;
  if (
    isRecord(data) &&
    'runId' in data &&
    data.seq === e.seq &&
    data.type === e.event &&
    isRecord(data.data)
  ) {
    data = data.data;
  }
  return { seq: e.seq, type: e.event, data: isRecord(data) ? data : {}, at: e.at };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const str = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);

/** One thing that happened in a run, as the timeline and the chat show it. */
export type TimelineItem =
  | { kind: 'text'; key: string; agentId: string; text: string; done: boolean }
  | {
      kind: 'tool';
      key: string;
      callId: string;
      name: string;
      arguments: unknown;
      output: string | undefined;
      isError: boolean;
      /** The call waits for a person to approve it. */
      waiting?: boolean;
    }
  | {
      kind: 'approval';
      key: string;
      callId: string;
      name: string;
      arguments: unknown;
      inboxItemId: string | undefined;
      decision: 'approved' | 'rejected' | undefined;
    }
  | { kind: 'handoff'; key: string; from: string; to: string }
  | { kind: 'status'; key: string; type: string; label: string; at: string; detail?: string };

const STATUS_LABELS: Record<string, string> = {
  'run.queued': 'Queued',
  'run.started': 'Started',
  'run.resumed': 'Resumed',
  'run.recovered': 'Recovered after a restart',
  'run.retrying': 'Retrying',
  'run.completed': 'Completed',
  'run.failed': 'Failed',
  'run.cancelled': 'Cancelled',
};

/** Folds a run's log, in seq order, into timeline items: streamed text joined, tool results matched. */
export function buildTimeline(events: readonly RunEvent[]): TimelineItem[] {
  const items: TimelineItem[] = [];
  const tools = new Map<string, Extract<TimelineItem, { kind: 'tool' }>>();
  let open: Extract<TimelineItem, { kind: 'text' }> | undefined;

  for (const e of [...events].sort((a, b) => a.seq - b.seq)) {
    const d = e.data;
    switch (e.type) {
      case 'message.delta': {
        const agentId = str(d.agentId);
        if (!open || open.agentId !== agentId || open.done) {
          open = { kind: 'text', key: `t${e.seq}`, agentId, text: '', done: false };
          items.push(open);
        }
        open.text += str(d.text);
        break;
      }
      case 'message.completed': {
        const text = str(d.text);
        if (open && !open.done) {
          if (text) open.text = text;
          open.done = true;
        } else if (text) {
          items.push({ kind: 'text', key: `t${e.seq}`, agentId: str(d.agentId), text, done: true });
        }
        open = undefined;
        break;
      }
      case 'tool.called': {
        open = undefined;
        const item = {
          kind: 'tool' as const,
          key: `c${e.seq}`,
          callId: str(d.callId),
          name: str(d.name),
          arguments: d.arguments,
          output: undefined,
          isError: false,
        };
        tools.set(item.callId, item);
        items.push(item);
        break;
      }
      case 'tool.result': {
        // The chat stream has no approval.decided: the call's result settles its approval.
        const approval = items.find(
          (i): i is Extract<TimelineItem, { kind: 'approval' }> =>
            i.kind === 'approval' && !i.decision && i.callId === str(d.callId),
        );
        if (approval) approval.decision = /rejected/i.test(str(d.output)) ? 'rejected' : 'approved';
        const item = tools.get(str(d.callId));
        if (item) {
          item.waiting = false;
          item.output = str(d.output);
          item.isError = d.isError === true;
        } else {
          items.push({
            kind: 'tool',
            key: `r${e.seq}`,
            callId: str(d.callId),
            name: str(d.name),
            arguments: undefined,
            output: str(d.output),
            isError: d.isError === true,
          });
        }
        break;
      }
      case 'approval.required': {
        open = undefined;
        const call = tools.get(str(d.callId));
        if (call && call.output === undefined) call.waiting = true;
        items.push({
          kind: 'approval',
          key: `a${e.seq}`,
          callId: str(d.callId),
          name: str(d.name),
          arguments: d.arguments,
          inboxItemId: typeof d.inboxItemId === 'string' ? d.inboxItemId : undefined,
          decision: undefined,
        });
        break;
      }
      case 'approval.decided': {
        const pending = [...items]
          .reverse()
          .find(
            (i): i is Extract<TimelineItem, { kind: 'approval' }> => i.kind === 'approval' && !i.decision,
          );
        for (const call of tools.values()) call.waiting = false;
        if (pending)
          pending.decision = d.approved === false || d.decision === 'rejected' ? 'rejected' : 'approved';
        break;
      }
      case 'handoff':
        open = undefined;
        items.push({ kind: 'handoff', key: `h${e.seq}`, from: str(d.from), to: str(d.to) });
        break;
      default:
        if (e.type.startsWith('run.') || e.type === 'error') {
          open = undefined;
          const stopped = e.type === 'run.failed' && d.code === 'cancelled';
          const detail =
            ['run.failed', 'run.retrying', 'error'].includes(e.type) && !stopped ? str(d.message) : undefined;
          items.push({
            kind: 'status',
            key: `s${e.seq}`,
            type: e.type,
            label:
              e.type === 'run.started' && d.resumed === true
                ? 'Resumed'
                : e.type === 'run.failed' && d.code === 'cancelled'
                  ? 'Stopped'
                  : e.type === 'error'
                    ? 'Problem'
                    : (STATUS_LABELS[e.type] ?? e.type),
            at: e.at,
            ...(detail ? { detail } : {}),
          });
        }
    }
  }
  return items;
}

export const isTerminalEvent = (type: string) => TERMINAL_EVENTS.has(type);

/** Adds one live event to a log kept in state, in order and once. */
export function addEvent(log: readonly RunEvent[], event: RunEvent): RunEvent[] {
  if (log.some((e) => e.seq === event.seq)) return log as RunEvent[];
  const next = [...log, event];
  if (log.length && log[log.length - 1]!.seq > event.seq) next.sort((a, b) => a.seq - b.seq);
  return next;
}
