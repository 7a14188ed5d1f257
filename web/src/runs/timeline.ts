import type { components } from '@switchboard/client';
import type { ChannelEvent } from '../realtime/socket.ts';

export type RunEvent = components['schemas']['RunEvent'];
/** One event of the execution vocabulary (the same on every stream and in every run log). */
export type ExecutionEvent = components['schemas']['ExecutionEvent'];
export type RunStatus = components['schemas']['Run']['status'];

export const TERMINAL_STATUSES: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'cancelled']);
const TERMINAL_EVENTS = new Set<string>(['run.completed', 'run.failed']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An execution event as it arrived (an SSE frame or a channel message), if it is one. */
export function executionEventOf(data: unknown): ExecutionEvent | undefined {
  return isRecord(data) && typeof data.type === 'string' ? (data as ExecutionEvent) : undefined;
}

/** A `runs:<id>` channel message as a run log entry (replayed and live ones carry the event alike). */
export function runEventOf(e: ChannelEvent): RunEvent | undefined {
  if (typeof e.seq !== 'number') return undefined;
  const event = executionEventOf(e.data);
  return event ? { seq: e.seq, type: event.type, data: event, at: e.at } : undefined;
}

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

/** How a run's own transitions read in the timeline. */
function statusItem(e: RunEvent): Extract<TimelineItem, { kind: 'status' }> | undefined {
  const d = e.data;
  const item = (label: string, detail?: string) => ({
    kind: 'status' as const,
    key: `s${e.seq}`,
    type: d.type,
    label,
    at: e.at,
    ...(detail ? { detail } : {}),
  });
  switch (d.type) {
    case 'run.queued':
      return item('Queued');
    case 'run.started':
      return item(d.cause === 'recovery' ? 'Recovered after a restart' : d.resumed ? 'Resumed' : 'Started');
    case 'run.completed':
      return item('Completed');
    case 'run.failed':
      return d.code === 'cancelled' ? item('Stopped') : item('Failed', d.message);
    case 'error':
      return item(d.code === 'retrying' ? 'Retrying' : 'Problem', d.message);
    default:
      return undefined;
  }
}

/** Folds a run's log, in seq order, into timeline items: streamed text joined, tool results matched. */
export function buildTimeline(events: readonly RunEvent[]): TimelineItem[] {
  const items: TimelineItem[] = [];
  const tools = new Map<string, Extract<TimelineItem, { kind: 'tool' }>>();
  let open: Extract<TimelineItem, { kind: 'text' }> | undefined;

  for (const e of [...events].sort((a, b) => a.seq - b.seq)) {
    const d = e.data;
    switch (d.type) {
      case 'message.delta': {
        if (!open || open.agentId !== d.agentId || open.done) {
          open = { kind: 'text', key: `t${e.seq}`, agentId: d.agentId, text: '', done: false };
          items.push(open);
        }
        open.text += d.text;
        break;
      }
      case 'message.completed': {
        if (open && !open.done) {
          if (d.text) open.text = d.text;
          open.done = true;
        } else if (d.text) {
          items.push({ kind: 'text', key: `t${e.seq}`, agentId: d.agentId, text: d.text, done: true });
        }
        open = undefined;
        break;
      }
      case 'tool.called': {
        open = undefined;
        const item = {
          kind: 'tool' as const,
          key: `c${e.seq}`,
          callId: d.callId,
          name: d.name,
          arguments: d.arguments,
          output: undefined,
          isError: false,
        };
        tools.set(item.callId, item);
        items.push(item);
        break;
      }
      case 'tool.result': {
        const item = tools.get(d.callId);
        if (item) {
          item.waiting = false;
          item.output = d.output;
          item.isError = d.isError;
        } else {
          items.push({
            kind: 'tool',
            key: `r${e.seq}`,
            callId: d.callId,
            name: d.name,
            arguments: undefined,
            output: d.output,
            isError: d.isError,
          });
        }
        break;
      }
      case 'approval.required': {
        open = undefined;
        const call = tools.get(d.callId);
        if (call && call.output === undefined) call.waiting = true;
        items.push({
          kind: 'approval',
          key: `a${e.seq}`,
          callId: d.callId,
          name: d.name,
          arguments: d.arguments,
          inboxItemId: d.inboxItemId || undefined,
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
        if (pending) pending.decision = d.approved ? 'approved' : 'rejected';
        break;
      }
      case 'handoff':
        open = undefined;
        items.push({ kind: 'handoff', key: `h${e.seq}`, from: d.from, to: d.to });
        break;
      default: {
        const status = statusItem(e);
        if (status) {
          open = undefined;
          items.push(status);
        }
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
