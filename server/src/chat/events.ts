import type { TurnUsage } from '../agents/events.ts';
import type { ChatStreamEvent } from './schema.ts';

/** One entry of a run's log as runs present it. */
export interface RunLogEvent {
  seq: number;
  type: string;
  data: Record<string, unknown>;
  at: string;
}

/** A chat event with its place in the run's log. */
export interface SequencedChatEvent {
  seq: number;
  at: string;
  event: ChatStreamEvent;
}

export const CHAT_TERMINAL = new Set<ChatStreamEvent['type']>(['run.completed', 'run.failed']);

const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);
const int = (v: unknown): number => (typeof v === 'number' && Number.isInteger(v) ? v : 0);

/**
 * Translates a run's log into the chat vocabulary of API.md, one event at a time, in order. Worker
 * bookkeeping (`run.resumed`, `run.recovered`, `run.retrying`, `run.cancelled`) becomes the chat event
 * a client acts on; `approval.decided` is left out (the run simply continues). Keeps who is speaking,
 * so `run.completed` names the agent that spoke last; a stream that resumes mid-run therefore feeds
 * the mapper the events before its resume point too, without sending them.
 */
export function createChatEventMapper(run: {
  id: string;
  conversationId: string | null;
  agentId: string;
  model: string;
}) {
  let speaking = run.agentId;

  function map(e: RunLogEvent): ChatStreamEvent | undefined {
    const d = e.data;
    switch (e.type) {
      case 'run.queued':
        return {
          type: 'run.queued',
          runId: run.id,
          conversationId: run.conversationId,
          agentId: str(d.agentId, run.agentId),
        };
      case 'run.started':
      case 'run.resumed':
      case 'run.recovered':
        return {
          type: 'run.started',
          agentId: speaking,
          model: run.model,
          attempt: int(d.attempt),
          resumed: e.type !== 'run.started',
        };
      case 'message.delta':
        speaking = str(d.agentId, speaking);
        return { type: 'message.delta', text: str(d.text), agentId: speaking };
      case 'message.completed':
        speaking = str(d.agentId, speaking);
        return { type: 'message.completed', text: str(d.text), agentId: speaking };
      case 'tool.called':
        return {
          type: 'tool.called',
          name: str(d.name),
          arguments: d.arguments,
          callId: str(d.callId),
          agentId: str(d.agentId, speaking),
        };
      case 'tool.result':
        return {
          type: 'tool.result',
          name: str(d.name),
          callId: str(d.callId),
          output: str(d.output),
          isError: d.isError === true,
          agentId: str(d.agentId, speaking),
        };
      case 'handoff':
        speaking = str(d.to, speaking);
        return { type: 'handoff', from: str(d.from), to: str(d.to) };
      case 'approval.required':
        return {
          type: 'approval.required',
          name: str(d.name),
          arguments: d.arguments,
          callId: str(d.callId),
          agentId: str(d.agentId, speaking),
          inboxItemId: str(d.inboxItemId),
        };
      case 'run.completed':
        return {
          type: 'run.completed',
          output: str(d.output),
          agentId: speaking,
          usage: d.usage as TurnUsage,
        };
      case 'run.failed':
        return { type: 'run.failed', code: str(d.code, 'internal_error'), message: str(d.message) };
      case 'run.cancelled':
        return { type: 'run.failed', code: 'cancelled', message: 'the run was cancelled' };
      case 'run.retrying':
        return {
          type: 'error',
          code: 'retrying',
          message: `attempt ${int(d.attempt)} failed (${str(d.message, 'a transient failure')}); the turn starts again`,
        };
      default:
        return undefined;
    }
  }

  return {
    map(e: RunLogEvent): SequencedChatEvent | undefined {
      const event = map(e);
      return event ? { seq: e.seq, at: e.at, event } : undefined;
    },
    /** The agent speaking now. */
    get speaking() {
      return speaking;
    },
  };
}
