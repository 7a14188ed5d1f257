import type { FastifyBaseLogger } from 'fastify';
import type { TurnMessage, TurnUsage } from '../agents/events.ts';
import type { Agent } from '../agents/present.ts';
import type { AgentService } from '../agents/service.ts';
import type { ConversationService } from '../conversations/service.ts';
import type { Principal } from '../platform/auth.ts';
import type { Bus } from '../platform/bus.ts';
import type { Db } from '../platform/db/index.ts';
import { AppError } from '../platform/errors.ts';
import type { RunsService } from '../runs/service.ts';
import type { RunRecord } from '../runs/store.ts';
import { followRun } from '../runs/stream.ts';
import { createAttachments } from './attachments.ts';
import { cancelsOnDisconnect } from './context.ts';
import { CHAT_TERMINAL, createChatEventMapper, type SequencedChatEvent } from './events.ts';
import type { InlineOutcome, InlineRequest, InlineTurns } from './inline.ts';
import type { ChatStreamEvent } from './schema.ts';

/**
 * How long a chat stream's run outlives its client: a dropped stream that reconnects within this
 * (GET /chat/stream/{id} with Last-Event-ID) carries on; otherwise the run and its model call stop.
 */
export const RESUME_GRACE_MS = 2_000;

export interface ChatServiceDeps {
  db: Db;
  bus: Bus;
  runs: Pick<RunsService, 'submit' | 'get' | 'cancel' | 'findByIdempotencyKey'>;
  agents: Pick<AgentService, 'getForOrg' | 'findBySlug' | 'list'>;
  conversations: Pick<ConversationService, 'get' | 'create'>;
  /** Starts this process's run worker now instead of at its next poll. */
  wake(): void;
  /** Executes turns in their request when there is room (the OpenAI surface's completions). */
  inline?: InlineTurns | undefined;
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

/** A turn of a stateless surface (the OpenAI one): its agent loaded, its history in the request. */
export type StatelessTurnRequest = TurnRequest & { agent: Agent; context: TurnMessage[] };

/** A turn that has been submitted, with what its streams need to present it. */
export interface StartedTurn {
  run: RunRecord;
  model: string;
  /** The turn was started earlier by a request with the same Idempotency-Key. */
  replayed?: boolean;
}

/** A whole turn's answer, for callers that wait for it (non-streaming completions). */
export interface CompletedTurn {
  runId: string;
  createdAt: Date;
  /** Every assistant message of the turn, in order (one per agent that spoke). */
  texts: string[];
  usage: TurnUsage;
}

export type TurnOutcome =
  | { status: 'succeeded'; output: string; agentId: string; usage: TurnUsage; events: ChatStreamEvent[] }
  | {
      status: 'waiting_approval';
      agentId: string;
      approval: Extract<ChatStreamEvent, { type: 'approval.required' }>;
      events: ChatStreamEvent[];
    };

/** The HTTP status a failed run answers with: the model's fault is a 502, not the client's. */
const FAILURE_STATUS: Record<string, number> = {
  model_error: 502,
  model_behavior: 502,
  model_rate_limited: 503,
  provider_not_configured: 503,
  unknown_provider: 422,
  invalid_model: 422,
  max_turns: 422,
  guardrail: 422,
  model_timeout: 504,
  run_timeout: 504,
  cancelled: 409,
  agent_not_found: 404,
};

/** The error envelope of a run that failed; `details` name the run and conversation to look at. */
/** The HTTP status a run that failed with `code` answers with. */
export const failureStatus = (code: string): number => FAILURE_STATUS[code] ?? 500;

export function runFailure(
  code: string,
  message: string,
  run: { id: string; conversationId: string | null },
): AppError {
  return new AppError(failureStatus(code), code, message, {
    runId: run.id,
    conversationId: run.conversationId,
  });
}

/** A conversation title from the first message: its first line, at most 80 characters. */
export function titleFrom(message: string): string {
  const line = message.trim().split('\n', 1)[0]!.replace(/\s+/g, ' ').trim();
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

/** What a chat run keeps in its metadata: whether it outlives its client, and any history it carries. */
const chatMetadata = (detach: boolean, context: TurnMessage[] | undefined) => ({
  detach,
  ...(context?.length ? { context } : {}),
});

/**
 * Chat on top of runs: every surface (POST /chat, /chat/stream, the WebSocket intent, the
 * OpenAI-compatible API) submits a run with source `chat` or `openai` and presents the run's log in
 * the chat vocabulary. Nothing here executes a turn; the run worker does, for all of them alike.
 */
export function createChatService(deps: ChatServiceDeps) {
  const { db, bus, runs, agents, conversations } = deps;
  const graceMs = deps.resumeGraceMs ?? RESUME_GRACE_MS;
  const attachments = createAttachments({
    bus,
    cancel: (p, runId) => runs.cancel(p, runId),
    log: deps.log,
  });
  const shutdown = new AbortController();

  async function modelOf(orgId: string, agentId: string): Promise<string> {
    const agent = await agents.getForOrg(orgId, agentId).catch(() => undefined);
    return agent?.model ?? 'unknown';
  }

  /**
   * Follows a run from its start and hands over the chat events after `afterSeq` (the ones before are
   * read only so the mapper knows who is speaking). True when the run ended (`run.completed` or
   * `run.failed`), false when `signal` stopped it first.
   */
  async function follow(
    p: Principal,
    turn: StartedTurn,
    afterSeq: number,
    deliver: (e: SequencedChatEvent) => void,
    signal: AbortSignal,
  ): Promise<boolean> {
    const { run } = turn;
    const mapper = createChatEventMapper({
      id: run.id,
      conversationId: run.conversationId,
      agentId: run.agentId,
      model: turn.model,
    });
    let ended = false;
    await followRun(
      { db, bus },
      { id: run.id, orgId: p.orgId },
      0,
      (raw) => {
        const mapped = mapper.map(raw);
        if (!mapped || raw.seq <= afterSeq) return;
        if (CHAT_TERMINAL.has(mapped.event.type)) ended = true;
        deliver(mapped);
      },
      signal,
    );
    return ended;
  }

  /**
   * Streams a turn's chat events to one client, then ends. A client that leaves (`signal`) before the
   * run ends cancels it, after the grace unless another stream of the run is there by then, unless
   * the run was started detached. `until` stops following without leaving (a paused run answered).
   * `resumed` announces this stream to a run waiting out its grace.
   */
  async function stream(
    p: Principal,
    turn: StartedTurn,
    opts: {
      afterSeq: number;
      resumed: boolean;
      send: (e: SequencedChatEvent) => void;
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
      ended = await follow(p, turn, opts.afterSeq, opts.send, AbortSignal.any(signals));
    } finally {
      leave?.(!ended && opts.signal.aborted && !shutdown.signal.aborted, opts.graceMs ?? graceMs);
    }
    return { ended, shutdown: shutdown.signal.aborted };
  }

  /**
   * Waits for a turn to finish, or to pause for approval unless `throughApprovals`. A failed run
   * throws its error envelope; a client that leaves first (`signal`) cancels the run at once unless
   * it was started detached, and gets undefined.
   */
  async function wait(
    p: Principal,
    turn: StartedTurn,
    signal: AbortSignal,
    opts: { throughApprovals?: boolean } = {},
  ): Promise<TurnOutcome | undefined> {
    const paused = new AbortController();
    const events: ChatStreamEvent[] = [];
    let last: ChatStreamEvent | undefined;
    const { ended, shutdown: cut } = await stream(p, turn, {
      afterSeq: 0,
      resumed: false,
      graceMs: 0,
      signal,
      until: paused.signal,
      send: ({ event }) => {
        events.push(event);
        last = event;
        if (event.type === 'approval.required' && !opts.throughApprovals) paused.abort();
      },
    });
    if (paused.signal.aborted && last?.type === 'approval.required') {
      return { status: 'waiting_approval', agentId: last.agentId, approval: last, events };
    }
    if (cut) {
      throw new AppError(503, 'server_restarting', 'the server is restarting; the run carries on', {
        runId: turn.run.id,
        conversationId: turn.run.conversationId,
      });
    }
    if (!ended || !last) return undefined;
    if (last.type === 'run.failed') throw runFailure(last.code, last.message, turn.run);
    if (last.type !== 'run.completed') return undefined;
    return { status: 'succeeded', output: last.output, agentId: last.agentId, usage: last.usage, events };
  }

  /** Executes a stateless turn in this request when this process has room (see chat/inline.ts). */
  function runHere(
    p: Principal,
    req: StatelessTurnRequest,
    signal: AbortSignal,
    live?: InlineRequest['live'],
  ): Promise<InlineOutcome> {
    if (!deps.inline) return Promise.resolve({ kind: 'busy' });
    const metadata = { ...req.metadata, chat: chatMetadata(false, req.context) };
    const request = { input: req.message, history: req.context, metadata, ...(live ? { live } : {}) };
    return deps.inline.run(p, req.agent, request, signal);
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
      if (replayed) return { run, model: agent.model, replayed };
      deps.wake();
      return { run, model: agent.model };
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

    /** Every agent of the org, oldest first (the OpenAI model list). */
    async listAgents(p: Principal) {
      const all = [];
      let cursor: string | undefined;
      do {
        const page = await agents.list(p, { limit: 200, cursor });
        all.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return all;
    },

    stream,

    wait,

    /**
     * One whole turn for a caller that waits for the answer. It runs here, in the request, when this
     * process has room; otherwise, and once it must wait for a person or retry, as a queued run
     * followed to its end. A failed turn throws its envelope; a caller that left gets undefined.
     */
    async complete(
      p: Principal,
      req: StatelessTurnRequest,
      signal: AbortSignal,
    ): Promise<CompletedTurn | undefined> {
      const inline = await runHere(p, req, signal);
      if (inline.kind === 'succeeded') return inline;
      if (inline.kind === 'failed')
        throw runFailure(inline.code, inline.message, { id: inline.runId, conversationId: null });
      if (inline.kind === 'gone') return undefined;
      const turn =
        inline.kind === 'handed_over'
          ? { run: inline.run, model: req.agent.model }
          : await service.start(p, req);
      const outcome = await wait(p, turn, signal, { throughApprovals: true });
      if (outcome?.status !== 'succeeded') return undefined;
      const texts = outcome.events.flatMap((e) => (e.type === 'message.completed' ? [e.text] : []));
      return { runId: turn.run.id, createdAt: turn.run.createdAt, texts, usage: outcome.usage };
    },

    /**
     * One turn streamed to a caller that cannot resume it (the OpenAI surface's streamed
     * completions). It runs here, in the request, when this process has room: `out.open` is told
     * the run once it exists, `out.send` gets its text as it is written and then how it ended. A turn
     * that must wait for a person or retry goes on as a queued run, followed from where it stopped.
     * Without room it is submitted and followed like any run. A caller that leaves (`signal`) cancels
     * the turn.
     */
    async streamTurn(
      p: Principal,
      req: StatelessTurnRequest,
      signal: AbortSignal,
      out: {
        open(run: { id: string; createdAt: Date }): void;
        send(event: ChatStreamEvent): void;
      },
    ): Promise<{ shutdown: boolean }> {
      const inline = await runHere(p, req, signal, {
        onStart: out.open,
        onEvent(event) {
          // Only the reply's text: how the turn ends is decided below (a failure may be retried).
          if (event.type === 'message.delta' || event.type === 'message.completed') out.send(event);
        },
      });
      if (inline.kind === 'succeeded') {
        const { output, agentId, usage } = inline;
        out.send({ type: 'run.completed', output, agentId, usage });
        return { shutdown: false };
      }
      if (inline.kind === 'failed') {
        out.send({ type: 'run.failed', code: inline.code, message: inline.message });
        return { shutdown: false };
      }
      if (inline.kind === 'gone') return { shutdown: false };
      let turn: StartedTurn;
      let afterSeq = 0;
      if (inline.kind === 'handed_over') {
        turn = { run: inline.run, model: req.agent.model };
        afterSeq = inline.run.lastSeq;
      } else {
        turn = await service.start(p, req);
        out.open(turn.run);
      }
      const { shutdown: cut } = await stream(p, turn, {
        afterSeq,
        resumed: false,
        graceMs: 0, // the caller cannot resume: leaving cancels at once
        signal,
        send: ({ event }) => out.send(event),
      });
      return { shutdown: cut };
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
