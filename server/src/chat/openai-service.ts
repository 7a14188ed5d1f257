import type { Agent } from '../agents/present.ts';
import type { AgentService } from '../agents/service.ts';
import type { ExecutionEvent, TurnMessage, TurnUsage } from '../execution/events.ts';
import type { InlineOutcome, InlineRequest, InlineTurns } from '../execution/inline.ts';
import type { Principal } from '../platform/auth.ts';
import { chatMetadata } from './context.ts';
import type { ChatService, StartedTurn, TurnRequest } from './service.ts';

/** A turn of a stateless surface (the OpenAI one): its agent loaded, its history in the request. */
export type StatelessTurnRequest = TurnRequest & { agent: Agent; context: TurnMessage[] };

/** How a whole completion came out. */
export type CompletionOutcome =
  | {
      status: 'succeeded';
      runId: string;
      createdAt: Date;
      /** Every assistant message of the turn, in order (one per agent that spoke). */
      texts: string[];
      usage: TurnUsage;
    }
  | { status: 'failed'; runId: string; code: string; message: string; details?: unknown }
  | { status: 'gone' }
  | { status: 'interrupted'; runId: string };

/**
 * The OpenAI-compatible surface's turns. A completion cannot be resumed by its client, so it runs in
 * its request when this process has room (execution/inline.ts), and otherwise, or once it must wait
 * for a person or retry, as a queued run followed to its end.
 */
export function createOpenAiService(deps: {
  chat: ChatService;
  agents: Pick<AgentService, 'list'>;
  inline: InlineTurns | undefined;
}) {
  const { chat, inline } = deps;

  /** Executes a stateless turn in this request when this process has room. */
  function runHere(
    p: Principal,
    req: StatelessTurnRequest,
    signal: AbortSignal,
    live?: InlineRequest['live'],
  ): Promise<InlineOutcome> {
    if (!inline) return Promise.resolve({ kind: 'busy' });
    const metadata = { ...req.metadata, chat: chatMetadata(false, req.context) };
    const request = { input: req.message, history: req.context, metadata, ...(live ? { live } : {}) };
    return inline.run(p, req.agent, request, signal);
  }

  /** The queued run an inline turn became, or a new one when there was no room. */
  async function queued(p: Principal, req: StatelessTurnRequest, inlined: InlineOutcome) {
    if (inlined.kind === 'handed_over') return { run: inlined.run, model: req.agent.model, handedOver: true };
    return { ...(await chat.start(p, req)), handedOver: false };
  }

  return {
    /** Every agent of the org, oldest first (the OpenAI model list). */
    async listAgents(p: Principal) {
      const all = [];
      let cursor: string | undefined;
      do {
        const page = await deps.agents.list(p, { limit: 200, cursor });
        all.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return all;
    },

    /** One whole turn for a caller that waits for the answer; a caller that left gets `gone`. */
    async complete(p: Principal, req: StatelessTurnRequest, signal: AbortSignal): Promise<CompletionOutcome> {
      const inlined = await runHere(p, req, signal);
      if (inlined.kind === 'succeeded') return { status: 'succeeded', ...inlined };
      if (inlined.kind === 'failed') return { status: 'failed', ...inlined };
      if (inlined.kind === 'gone') return { status: 'gone' };
      const turn: StartedTurn = await queued(p, req, inlined);
      const outcome = await chat.wait(p, turn, signal, { throughApprovals: true });
      const runId = turn.run.id;
      if (outcome.status === 'failed') {
        const { code, message, details } = outcome;
        return { status: 'failed', runId, code, message, ...(details === undefined ? {} : { details }) };
      }
      if (outcome.status === 'interrupted') return { status: 'interrupted', runId };
      if (outcome.status !== 'succeeded') return { status: 'gone' };
      const texts = outcome.events.flatMap((e) => (e.type === 'message.completed' ? [e.text] : []));
      return { status: 'succeeded', runId, createdAt: turn.run.createdAt, texts, usage: outcome.usage };
    },

    /**
     * One turn streamed to a caller that cannot resume it. `out.open` is told the run once it exists,
     * `out.send` gets its text as it is written and then how it ended. A turn that must wait for a
     * person or retry goes on as a queued run, followed from where it stopped. A caller that leaves
     * (`signal`) cancels the turn.
     */
    async streamTurn(
      p: Principal,
      req: StatelessTurnRequest,
      signal: AbortSignal,
      out: {
        open(run: { id: string; createdAt: Date }): void;
        send(event: ExecutionEvent): void;
      },
    ): Promise<{ shutdown: boolean }> {
      const inlined = await runHere(p, req, signal, {
        onStart: out.open,
        onEvent(event) {
          // Only the reply's text: how the turn ends is decided below (a failure may be retried).
          if (event.type === 'message.delta' || event.type === 'message.completed') out.send(event);
        },
      });
      if (inlined.kind === 'succeeded') {
        const { output, agentId, usage } = inlined;
        out.send({ type: 'run.completed', output, agentId, usage });
        return { shutdown: false };
      }
      if (inlined.kind === 'failed') {
        const { code, message, details } = inlined;
        out.send({ type: 'run.failed', code, message, ...(details === undefined ? {} : { details }) });
        return { shutdown: false };
      }
      if (inlined.kind === 'gone') return { shutdown: false };
      const turn = await queued(p, req, inlined);
      if (!turn.handedOver) out.open(turn.run);
      const { shutdown } = await chat.stream(p, turn, {
        afterSeq: turn.handedOver ? turn.run.lastSeq : 0,
        resumed: false,
        graceMs: 0, // the caller cannot resume: leaving cancels at once
        signal,
        send: ({ event }) => out.send(event),
      });
      return { shutdown };
    },
  };
}

export type OpenAiService = ReturnType<typeof createOpenAiService>;
