import type { Agent } from '../agents/present.ts';
import type { Principal } from '../platform/auth.ts';
import { newId } from '../platform/ids.ts';
import type { RunAgentTurn } from './agent-turn.ts';
import type { ExecutionEvent, TurnEvent, TurnMessage, TurnUsage } from './events.ts';
import type { CallGate } from './metered-model.ts';
import type { ExecutionRun, InlineRun, RunRecords } from './records.ts';

/** How a turn executed in its request came out. */
export type InlineOutcome =
  | {
      kind: 'succeeded';
      runId: string;
      createdAt: Date;
      texts: string[];
      /** The final reply, and the agent that gave it (another after a hand-off). */
      output: string;
      agentId: string;
      usage: TurnUsage;
    }
  | { kind: 'failed'; runId: string; code: string; message: string; details?: unknown }
  /** It must wait for a person or try again: it is a queued run now, to be followed. */
  | { kind: 'handed_over'; run: ExecutionRun }
  /** The caller left first; the run was cancelled. */
  | { kind: 'gone' }
  /** This process has no room; nothing was done. */
  | { kind: 'busy' };

export interface InlineRequest {
  input: string;
  /** The conversation so far, which the request carries itself. */
  history: TurnMessage[];
  /** Kept on the run as a queued run would keep it (a retry rebuilds the history from it). */
  metadata: Record<string, unknown>;
  /**
   * For a caller that reads the turn as it happens (a streamed completion): the turn streams, and
   * `onStart` is told the run before it executes, `onEvent` each of its events as they happen.
   */
  live?: {
    onStart(run: { id: string; createdAt: Date }): void;
    onEvent(event: TurnEvent): void;
  };
}

export interface InlineTurnsDeps {
  runAgentTurn: RunAgentTurn;
  records: Pick<RunRecords, 'inlineEnded' | 'handOver' | 'canRetry'>;
  /** The gate every model call of a run passes (budgets), if any. */
  gateFor?(run: InlineRun): CallGate | undefined;
  /** Turns executing in requests at once in this process; past it, turns go through the queue. */
  maxInFlight: number;
  timeoutSeconds: number;
}

/**
 * Keeps one of the turn's events for its log. A streamed reply's text deltas are merged while the
 * same agent speaks (the log keeps the reply once more in `message.completed`), so a long reply is
 * not a row per token.
 */
function record(run: InlineRun, event: ExecutionEvent): void {
  const last = run.events.at(-1)?.event;
  if (event.type === 'message.delta' && last?.type === 'message.delta' && last.agentId === event.agentId) {
    last.text += event.text;
    return;
  }
  run.events.push({ event: event.type === 'message.delta' ? { ...event } : event, at: new Date() });
}

/**
 * Executes a turn in the request that asked for it, for callers that cannot resume a stream anyway
 * (the OpenAI surface's completions: whole, or streamed as they happen). It skips the
 * queue's round trips — submit, claim, an event write per step — which cost tens of milliseconds per
 * call, and its record is written behind the answer (runs/records-inline.ts). A turn that needs durability
 * midway, an approval or a retry, is handed to the queue as an ordinary run.
 */
export function createInlineTurns(deps: InlineTurnsDeps) {
  let inFlight = 0;

  async function execute(
    p: Principal,
    agent: Agent,
    req: InlineRequest,
    signal: AbortSignal,
  ): Promise<InlineOutcome> {
    const run: InlineRun = {
      id: newId('run'),
      orgId: p.orgId,
      agentId: agent.id,
      input: req.input,
      metadata: req.metadata,
      source: 'openai',
      createdBy: p.id,
      createdAt: new Date(),
      startedAt: new Date(),
      model: agent.model,
      events: [],
      calls: [],
    };
    // One controller for the caller leaving and the run's time limit (cheaper than AbortSignal.any
    // with AbortSignal.timeout, on a path taken for every call).
    const stop = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      stop.abort();
    }, deps.timeoutSeconds * 1000);
    const leave = () => stop.abort();
    signal.addEventListener('abort', leave, { once: true });
    const { live } = req;
    live?.onStart(run);
    const result = await deps
      .runAgentTurn({
        orgId: p.orgId,
        agent,
        run: { id: run.id, metadata: run.metadata },
        history: req.history,
        input: req.input,
        signal: stop.signal,
        onEvent: live
          ? (event) => {
              record(run, event);
              live.onEvent(event);
            }
          : (event) => record(run, event),
        gate: deps.gateFor?.(run),
        stream: !!live,
      })
      .finally(() => {
        clearTimeout(timer);
        signal.removeEventListener('abort', leave);
      });
    run.calls = result.usage.calls;

    if (result.outcome === 'completed') {
      deps.records.inlineEnded(run, {
        status: 'succeeded',
        output: result.text,
        agentId: result.agentId,
        usage: result.usage,
      });
      const texts = result.messages.filter((m) => m.role === 'assistant').map((m) => m.content);
      return {
        kind: 'succeeded',
        runId: run.id,
        createdAt: run.createdAt,
        texts,
        output: result.text,
        agentId: result.agentId,
        usage: result.usage,
      };
    }
    if (result.outcome === 'waiting_approval' && result.state && result.approval) {
      const next = { kind: 'paused' as const, state: result.state, approval: result.approval };
      return { kind: 'handed_over', run: await deps.records.handOver(run, next) };
    }
    if (result.outcome === 'cancelled' && !timedOut) {
      deps.records.inlineEnded(run, { status: 'cancelled' });
      return { kind: 'gone' };
    }
    const error =
      result.outcome === 'cancelled'
        ? { code: 'run_timeout', message: `the run took longer than ${deps.timeoutSeconds} s` }
        : (result.error ?? { code: 'internal_error', message: 'the run failed unexpectedly' });
    if (result.error?.transient && deps.records.canRetry()) {
      return {
        kind: 'handed_over',
        run: await deps.records.handOver(run, { kind: 'retry', message: error.message }),
      };
    }
    const failure = {
      code: error.code,
      message: error.message,
      ...('details' in error && error.details !== undefined ? { details: error.details } : {}),
    };
    deps.records.inlineEnded(run, { status: 'failed', error: failure });
    return { kind: 'failed', runId: run.id, ...failure };
  }

  return {
    /** Executes the turn here if this process has room (`busy` otherwise). */
    async run(p: Principal, agent: Agent, req: InlineRequest, signal: AbortSignal): Promise<InlineOutcome> {
      if (inFlight >= deps.maxInFlight) return { kind: 'busy' };
      inFlight++;
      try {
        return await execute(p, agent, req, signal);
      } finally {
        inFlight--;
      }
    },
    inFlight: () => inFlight,
  };
}

export type InlineTurns = ReturnType<typeof createInlineTurns>;
