import type { FastifyBaseLogger } from 'fastify';
import type { Agent } from '../agents/present.ts';
import type { AgentService } from '../agents/service.ts';
import type { ConversationService } from '../conversations/service.ts';
import {
  type EventOf,
  type ExecutionEvent,
  isTerminal,
  type LoggedEvent,
  type TurnMessage,
  type TurnUsage,
} from '../execution/events.ts';
import type { ExecutionRun } from '../execution/records.ts';
import type { Principal } from '../platform/auth.ts';
import type { Bus } from '../platform/bus.ts';
import type { RunsService } from '../runs/service.ts';
import { createAttachments } from './attachments.ts';
import { cancelsOnDisconnect, chatMetadata } from './context.ts';

/**
 * How long a chat stream's run outlives its client: a dropped stream that reconnects within this
 * (GET /chat/stream/{id} with Last-Event-ID) carries on; otherwise the run and its model call stop.
 */
export const RESUME_GRACE_MS = 2_000;

export interface ChatServiceDeps {
  bus: Bus;
  runs: Pick<RunsService, 'submit' | 'get' | 'cancel' | 'findByIdempotencyKey' | 'follow'>;
  agents: Pick<AgentService, 'getForOrg' | 'findBySlug'>;
  conversations: Pick<ConversationService, 'get' | 'create'>;
  log: FastifyBaseLogger;
  resumeGraceMs?: number;
}

/** What starts a chat turn, from any surface. */
export interface TurnRequest {
  agentId: string;
  /** The agent, when the caller has already loaded it (saves a lookup on the hot path). */
  agent?: Agent | undefined;
  message: string;
  conversationId?: string | undefined;
  /** A new conversation is started unless the surface is stateless (the OpenAI surface carries `context`). */
  newConversation: boolean;
  /** History the run carries itself instead of a conversation. */
  context?: TurnMessage[] | undefined;
  detach: boolean;
  metadata?: Record<string, unknown> | undefined;
  source: 'chat' | 'openai';
  /** A repeat with the same key gets the turn the first request started (Idempotency-Key). */
  idempotencyKey?: string | undefined;
}

/** A turn that has been submitted, with what its streams need to present it. */
export interface StartedTurn {
  run: ExecutionRun;
  model: string;
  /** The turn was started earlier by a request with the same Idempotency-Key. */
  replayed?: boolean;
}

/** How a turn that was waited for came out; `events` are all of them, in order. */
export type TurnOutcome =
  | { status: 'succeeded'; output: string; agentId: string; usage: TurnUsage; events: ExecutionEvent[] }
  | {
      status: 'waiting_approval';
      agentId: string;
      approval: EventOf<'approval.required'>;
      events: ExecutionEvent[];
    }
  | { status: 'failed'; code: string; message: string; details?: unknown; events: ExecutionEvent[] }
  /** The server is shutting down; the run carries on elsewhere. */
  | { status: 'interrupted' }
  /** The caller left before the end; its run was cancelled unless detached. */
  | { status: 'gone' };

/** A conversation title from the first message: its first line, at most 80 characters. */
export function titleFrom(message: string): string {
  const line = message.trim().split('\n', 1)[0]!.replace(/\s+/g, ' ').trim();
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

/**
 * Chat on top of runs: every surface (POST /chat, /chat/stream, the WebSocket intent, the OpenAI
 * surface when it cannot run a turn in its request) submits a run and follows its log. Nothing here
 * executes a turn; execution/ does, for all of them alike.
 */
export function createChatService(deps: ChatServiceDeps) {
  const { runs, agents, conversations } = deps;
  const graceMs = deps.resumeGraceMs ?? RESUME_GRACE_MS;
  const attachments = createAttachments({
    bus: deps.bus,
    cancel: (p, runId) => runs.cancel(p, runId),
    log: deps.log,
  });
  const shutdown = new AbortController();

  async function modelOf(orgId: string, agentId: string): Promise<string> {
    const agent = await agents.getForOrg(orgId, agentId).catch(() => undefined);
    return agent?.model ?? 'unknown';
  }

  /**
   * Streams a turn's events after `afterSeq` to one client, then ends. A client that leaves
   * (`signal`) before the run ends cancels it, after the grace unless another stream of the run is
   * there by then, unless the run was started detached. `until` stops following without leaving (a
   * paused run answered). `resumed` announces this stream to a run waiting out its grace.
   */
  async function stream(
    p: Principal,
    turn: StartedTurn,
    opts: {
      afterSeq: number;
      resumed: boolean;
      send: (e: LoggedEvent) => void;
      signal: AbortSignal;
      until?: AbortSignal;
      graceMs?: number;
    },
  ): Promise<{ ended: boolean; shutdown: boolean }> {
    const leave = cancelsOnDisconnect(turn.run)
      ? attachments.attach(p, turn.run.id, { announce: opts.resumed })
      : undefined;
    const signals = [opts.signal, shutdown.signal, ...(opts.until ? [opts.until] : [])];
    let ended = false;
    try {
      const deliver = (e: LoggedEvent) => {
        if (isTerminal(e.event)) ended = true;
        opts.send(e);
      };
      await runs.follow(turn.run, opts.afterSeq, deliver, AbortSignal.any(signals), turn.model);
    } finally {
      leave?.(!ended && opts.signal.aborted && !shutdown.signal.aborted, opts.graceMs ?? graceMs);
    }
    return { ended, shutdown: shutdown.signal.aborted };
  }

  const service = {
    /**
     * Checks the agent and conversation (404 for anything outside the caller's org), starts a
     * conversation when needed, and submits the run.
     */
    async start(p: Principal, req: TurnRequest): Promise<StartedTurn> {
      // Before a conversation is made: a repeat must not leave an empty one behind.
      const earlier = req.idempotencyKey && (await runs.findByIdempotencyKey(p, req.idempotencyKey));
      if (earlier) return { run: earlier, model: await modelOf(p.orgId, earlier.agentId), replayed: true };
      const agent = req.agent?.id === req.agentId ? req.agent : await agents.getForOrg(p.orgId, req.agentId);
      let conversationId = req.conversationId;
      if (conversationId) await conversations.get(p, conversationId);
      else if (req.newConversation) {
        conversationId = (await conversations.create(p, { agentId: agent.id, title: titleFrom(req.message) }))
          .id;
      }
      const { run, replayed } = await runs.submit(
        p,
        {
          agentId: agent.id,
          input: req.message,
          conversationId,
          metadata: { ...req.metadata, chat: chatMetadata(req.detach, req.context) },
        },
        { source: req.source, idempotencyKey: req.idempotencyKey },
      );
      return replayed ? { run, model: agent.model, replayed } : { run, model: agent.model };
    },

    /** A run of the caller's org to follow again (404 otherwise), with its agent's model. */
    async resume(p: Principal, runId: string): Promise<StartedTurn> {
      const run = await runs.get(p, runId);
      return { run, model: await modelOf(p.orgId, run.agentId) };
    },

    /** Resolves `agent_id` / `agent_type` / an OpenAI `model`: an agent id or slug of the caller's org. */
    async findAgent(p: Principal, idOrSlug: string) {
      const bySlug = await agents.findBySlug(p.orgId, idOrSlug);
      if (bySlug) return bySlug;
      return agents.getForOrg(p.orgId, idOrSlug).catch(() => undefined);
    },

    /** A conversation of the caller's org (404 otherwise). */
    conversation: (p: Principal, id: string) => conversations.get(p, id),

    stream,

    /**
     * Waits for a turn to finish, or to pause for approval unless `throughApprovals`. A client that
     * leaves first (`signal`) cancels the run at once unless it was started detached.
     */
    async wait(
      p: Principal,
      turn: StartedTurn,
      signal: AbortSignal,
      opts: { throughApprovals?: boolean } = {},
    ): Promise<TurnOutcome> {
      const paused = new AbortController();
      const events: ExecutionEvent[] = [];
      const { ended, shutdown: cut } = await stream(p, turn, {
        afterSeq: 0,
        resumed: false,
        graceMs: 0,
        signal,
        until: paused.signal,
        send: ({ event }) => {
          events.push(event);
          if (event.type === 'approval.required' && !opts.throughApprovals) paused.abort();
        },
      });
      const last = events.at(-1);
      if (paused.signal.aborted && last?.type === 'approval.required') {
        return { status: 'waiting_approval', agentId: last.agentId, approval: last, events };
      }
      if (cut) return { status: 'interrupted' };
      if (!ended || !last) return { status: 'gone' };
      if (last.type === 'run.failed') {
        const { code, message, details } = last;
        return { status: 'failed', code, message, ...(details === undefined ? {} : { details }), events };
      }
      if (last.type !== 'run.completed') return { status: 'gone' };
      return { status: 'succeeded', output: last.output, agentId: last.agentId, usage: last.usage, events };
    },

    /** Shutdown: ends every stream (their runs carry on; clients resume elsewhere). */
    close(): void {
      attachments.close();
      shutdown.abort();
    },
  };
  return service;
}

export type ChatService = ReturnType<typeof createChatService>;
