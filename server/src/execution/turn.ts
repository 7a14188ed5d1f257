import { createHash } from 'node:crypto';
import type { Agent } from '../agents/present.ts';
import type { RunAgentTurn } from './agent-turn.ts';
import type { ExecutionEvent, ModelCallUsage, TurnMessage, TurnUsage } from './events.ts';
import { carriedHistory } from './history.ts';
import type { CallGate } from './metered-model.ts';
import type { ApprovalDecision, ExecutionRun, PendingApproval } from './records.ts';

/** A failure worth retrying (a provider's 5xx, a dropped connection); anything else fails the run. */
export class TransientError extends Error {
  override name = 'TransientError';
}

/** A failure the run reports as is, with a stable code (`model_error`, `agent_not_found`, …). */
export class RunFailure extends Error {
  override name = 'RunFailure';
  readonly code: string;
  readonly details: unknown;
  constructor(code: string, message: string, details?: unknown) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

export interface TurnDeps {
  agents: { getForOrg(orgId: string, id: string): Promise<Agent> };
  conversations: {
    history(orgId: string, conversationId: string): Promise<TurnMessage[]>;
    appendMessages(orgId: string, conversationId: string, messages: TurnMessage[]): Promise<unknown>;
  };
  runAgentTurn: RunAgentTurn;
  /** The gate every model call of a run passes (budgets), if any. */
  gateFor?(run: ExecutionRun): CallGate | undefined;
}

export interface TurnInput {
  run: ExecutionRun;
  /** Present when the run resumes after an approval was decided. */
  resume?: ApprovalDecision | undefined;
  /** Aborted on cancel, on the run's timeout and on shutdown. */
  signal: AbortSignal;
  /** Adds an event to the run's log. */
  emit(event: ExecutionEvent): void;
  /** Runs `fn` once per step id for this run; after a crash the retry gets the stored result instead. */
  step<T>(stepId: string, fn: () => Promise<T>): Promise<T>;
  /**
   * Keeps the attempt's model calls (usage, agent health), failed ones included; they are written with
   * the segment's end (finish, pause or retry), in its transaction, so once per attempt.
   */
  keepCalls(calls: ModelCallUsage[]): void;
}

export type TurnOutcome =
  | { kind: 'completed'; output: string; agentId: string; usage: TurnUsage }
  | { kind: 'paused'; state: string; approval: PendingApproval };

/**
 * One turn of a queued run: loads the agent and what was said before, runs the agent turn (fresh,
 * or resumed from a paused state with the person's decision), keeps what was said in the
 * conversation exactly once per segment, and records the model calls. Throws `TransientError` for a
 * failure the queue should retry and `RunFailure` for one that ends the run.
 */
export function createQueuedTurn(deps: TurnDeps) {
  return async ({ run, resume, signal, emit, step, keepCalls }: TurnInput): Promise<TurnOutcome> => {
    const agent = await deps.agents.getForOrg(run.orgId, run.agentId).catch(() => undefined);
    if (!agent) throw new RunFailure('agent_not_found', `agent ${run.agentId} no longer exists`);
    const resuming = resume && run.pausedState ? run.pausedState : undefined;
    // Each segment of a run (before and after each approval) has its own step ids.
    const segment = resuming ? createHash('sha256').update(resuming).digest('hex').slice(0, 12) : 'start';
    // A fresh turn reads its conversation, or the history the run carries itself (OpenAI surface).
    const history = resuming
      ? []
      : run.conversationId
        ? await deps.conversations.history(run.orgId, run.conversationId)
        : carriedHistory(run.metadata);

    const result = await deps.runAgentTurn({
      orgId: run.orgId,
      agent,
      run: { id: run.id, metadata: run.metadata },
      history,
      input: run.input,
      signal,
      onEvent: emit,
      gate: deps.gateFor?.(run),
      resume:
        resuming && resume
          ? { state: resuming, approved: resume.approved, reason: resume.reason }
          : undefined,
      steps: { step, stepPrefix: segment },
    });

    // Every model call is recorded, failed attempts included, with the end of the segment.
    keepCalls(result.usage.calls);

    const error = result.error ?? { code: 'internal_error', message: 'the run failed unexpectedly' };
    // A retry will run the turn again and keep what it says; this attempt's words are not kept.
    if (result.outcome === 'failed' && error.transient) throw new TransientError(error.message);

    if (run.conversationId) {
      const said: TurnMessage[] = resuming
        ? result.messages
        : [{ role: 'user', agentId: run.agentId, content: run.input, data: {} }, ...result.messages];
      const conversationId = run.conversationId;
      await step(`conversation:${segment}`, async () => {
        await deps.conversations.appendMessages(run.orgId, conversationId, said);
        return true;
      });
    }
    if (result.outcome === 'completed')
      return { kind: 'completed', output: result.text, agentId: result.agentId, usage: result.usage };
    if (result.outcome === 'waiting_approval' && result.state && result.approval) {
      return { kind: 'paused', state: result.state, approval: result.approval };
    }
    if (result.outcome === 'cancelled') throw new RunFailure('cancelled', 'the run was cancelled');
    throw new RunFailure(error.code, error.message, error.details);
  };
}

export type QueuedTurn = ReturnType<typeof createQueuedTurn>;
