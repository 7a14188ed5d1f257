import type { RunRecord } from './store.ts';

/** A person's answer to an approval request, carried into the resumed run. */
export interface ApprovalDecision {
  approved: boolean;
  reason?: string | undefined;
  decidedBy: string;
}

export interface TurnInput {
  run: RunRecord;
  /** Present when the run resumes after an approval was decided. */
  resume?: ApprovalDecision | undefined;
  /** Aborted on cancel, on the run's timeout and on shutdown. */
  signal: AbortSignal;
  /** Adds an event to the run's log (`message.delta`, `tool.called`, …). */
  emit(type: string, data: Record<string, unknown>): void;
  /** Runs `fn` once per step id for this run; after a crash the retry gets the stored result instead. */
  step<T>(stepId: string, fn: () => Promise<T>): Promise<T>;
}

export interface PendingApproval {
  toolName: string;
  arguments: unknown;
  callId: string;
  agentId: string;
}

export type TurnOutcome =
  | { kind: 'completed'; output: string; usage: Record<string, unknown> }
  | { kind: 'paused'; state: string; approval: PendingApproval };

/** Executes one agent turn of a run; the agents domain provides it. */
export type TurnExecutor = (input: TurnInput) => Promise<TurnOutcome>;

/** A failure worth retrying (a provider's 5xx, a dropped connection); anything else fails the run. */
export class TransientError extends Error {
  override name = 'TransientError';
}

/** A failure the run reports as is, with a stable code (`model_error`, `tool_not_allowed`, …). */
export class RunFailure extends Error {
  override name = 'RunFailure';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}
