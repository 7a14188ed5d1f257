import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { fromDrizzle, type PgBoss } from 'pg-boss';
import type { Work } from '../platform/db/work.ts';
import type { EventOf, ExecutionEvent, ModelCallUsage, TurnUsage } from './events.ts';

/**
 * What the run loops need from the durable record of runs. The runs domain keeps that record (its
 * tables, its log, its transitions) and implements this; execution never touches its tables. The
 * composition root hands the implementation to the loops.
 */

/** The queue runs wait in, and what one of its jobs carries. */
export const RUNS_QUEUE = 'runs';
/** Jobs whose retries ran out while no handler could settle them (every attempt's worker died). */
export const RUNS_DEAD_QUEUE = 'runs_dead';

/** A person's answer to an approval request, carried into the resumed run. */
export interface ApprovalDecision {
  approved: boolean;
  reason?: string | undefined;
  decidedBy: string;
}

export interface RunJob {
  runId: string;
  resume?: ApprovalDecision;
  /**
   * Attempts of this run already spent outside this job's own retries (one made in-process or in its
   * request before the job was needed), counted against the retry limit.
   */
  spent?: number;
}

/** Bus topic of one run's log events. */
export const runTopic = (runId: string) => `run:${runId}`;
/** Control messages to whichever loop executes a run (cancel), across replicas. */
export const runControlTopic = (runId: string) => `run-control:${runId}`;

/** pg-boss's view of the caller's transaction, so a queue call commits with it. */
export const queueDb = (work: Work) => fromDrizzle(work.tx as never, sql);

/** A run job to put on the queue; `retryLimit` and `startAfter` (seconds) override the queue's. */
export interface JobToQueue {
  job: RunJob;
  retryLimit?: number | undefined;
  startAfter?: number | undefined;
}

/**
 * Puts run jobs on the queue inside the caller's transaction, in one statement, so runs and their
 * jobs exist together or not at all, and answers their ids in order. A delayed start holds a job
 * back (a run started in-process holds its job this way: see {@link HeldRun}).
 */
export async function enqueueRuns(queue: PgBoss, work: Work, jobs: JobToQueue[]): Promise<string[]> {
  const ids = jobs.map(() => randomUUID());
  await queue.insert(
    RUNS_QUEUE,
    jobs.map(({ job, retryLimit, startAfter }, i) => ({
      id: ids[i]!,
      data: job as unknown as object,
      ...(retryLimit === undefined ? {} : { retryLimit }),
      ...(startAfter ? { startAfter } : {}),
    })),
    { db: queueDb(work) },
  );
  return ids;
}

/** One run job on the queue inside the caller's transaction ({@link enqueueRuns}); answers its id. */
export async function enqueueRun(
  queue: PgBoss,
  work: Work,
  job: RunJob,
  options: { retryLimit?: number; startAfter?: number } = {},
): Promise<string> {
  const [id] = await enqueueRuns(queue, work, [{ job, ...options }]);
  return id!;
}

/**
 * A slot of this process kept for a run while its submission commits: the run is claimed in that
 * transaction and starts once it has committed, its job held back meanwhile as the fallback.
 */
export interface Reservation {
  /** How long the run's job is held back (it is renewed while the run executes). */
  holdSeconds: number;
  /** The submission committed with the run claimed: it starts now, in the kept slot. */
  start(run: ExecutionRun, job: RunJob, jobId: string): void;
  /** The submission failed: the slot is free again. */
  release(): void;
}

/**
 * A run this process started itself right after it was submitted or resumed here, without fetching
 * its job. The job stays on the queue, held back (`startAfter`) by a lease the process renews while
 * the run executes; the run's end completes it in the same transaction. If the process dies, the lease
 * lapses and the queue hands the job to any worker, which finds the run `running` and recovers it.
 */
export interface HeldRun {
  run: ExecutionRun;
  job: RunJob;
  jobId: string;
}

/** The run's claim moved on (another attempt owns it): this executor must stop writing and step back. */
export class ClaimLost extends Error {
  override name = 'ClaimLost';
}

export type RunStatus = 'queued' | 'running' | 'waiting_approval' | 'succeeded' | 'failed' | 'cancelled';

/** A run as the loops see it. */
export interface ExecutionRun {
  id: string;
  status: RunStatus;
  orgId: string;
  agentId: string;
  conversationId: string | null;
  input: string;
  metadata: Record<string, unknown>;
  source: 'api' | 'chat' | 'openai';
  createdBy: string;
  createdAt: Date;
  startedAt: Date | null;
  attempts: number;
  lastSeq: number;
  /** The agent runtime's serialised state while the run waits for a person. */
  pausedState: string | null;
  cancelRequestedAt: Date | null;
}

/** The tool call a paused run waits on. */
export interface PendingApproval {
  toolName: string;
  arguments: unknown;
  callId: string;
  agentId: string;
}

/** How a run ended. */
export type RunEnding =
  | { status: 'succeeded'; output: string; agentId: string; usage: TurnUsage }
  | { status: 'failed'; error: { code: string; message: string; details?: unknown } }
  | { status: 'cancelled'; by?: string | undefined };

/** Why a run (re)starts: its first attempt or a retry, a person's decision, or a dead worker's leftover. */
export type StartCause = EventOf<'run.started'>['cause'];

/** An event of a run's log not written yet, stamped when it happened. */
export interface TimedEvent {
  event: ExecutionEvent;
  at: Date;
}

/**
 * The writer of one executing run's log: events are stored in order and published after commit.
 * Events appended while a write is under way go together in the next one (group commit).
 */
export interface RunLogWriter {
  append(event: ExecutionEvent): void;
  /** Waits until everything appended so far is stored and published. */
  drain(): Promise<void>;
  /**
   * Waits for the write under way and hands over the events not written yet, so the run's end
   * writes them in its own transaction.
   */
  rest(): Promise<TimedEvent[]>;
}

/** What a segment of a run leaves to be written with its end: its last events and its model calls. */
export interface SegmentTail {
  events?: TimedEvent[];
  calls?: ModelCallUsage[];
  /** The queued job of a run started in-process ({@link HeldRun}), settled in the same transaction. */
  jobId?: string;
}

/**
 * A run a request executed itself instead of handing it to the queue: everything its record needs
 * once it has ended or must wait. Its log is kept in memory until then.
 */
export interface InlineRun {
  id: string;
  orgId: string;
  agentId: string;
  input: string;
  metadata: Record<string, unknown>;
  source: 'chat' | 'openai';
  createdBy: string;
  createdAt: Date;
  startedAt: Date;
  /** The model of the agent it started with. */
  model: string;
  /** What the turn said, in order, each stamped when it happened. */
  events: Array<{ event: ExecutionEvent; at: Date }>;
  /** The model calls the turn made, for usage. */
  calls: ModelCallUsage[];
}

/** What an inline run needs next from the queue: a person's decision, or another attempt. */
export type InlineHandOver =
  | { kind: 'paused'; state: string; approval: PendingApproval }
  | { kind: 'retry'; message: string };

export interface RunRecords {
  /** The run a job names, or undefined when it is gone. */
  load(runId: string): Promise<ExecutionRun | undefined>;
  /**
   * Marks the run running (another attempt) and logs `run.started`; undefined when someone else
   * moved it first (finished, cancelled, claimed by another loop). With `held`, the run was started
   * in-process: only a queued run is claimed, and when `renewSeconds` is given its job is held back
   * that much longer in the same transaction, which fails (undefined) if a worker fetched it meanwhile.
   */
  claim(
    run: ExecutionRun,
    cause: StartCause,
    model: string,
    held?: { jobId: string; renewSeconds?: number | undefined },
  ): Promise<ExecutionRun | undefined>;
  /** The writer of the log of a claimed run; `onLost` is told when its claim moved on (ClaimLost). */
  log(run: ExecutionRun, onLost?: () => void): RunLogWriter;
  /** Runs `fn` once per step id for this run; after a crash the retry gets the stored result. */
  step<T>(runId: string, stepId: string, fn: () => Promise<T>): Promise<T>;
  /** Ends a claimed run with its last events and model calls, in one transaction. */
  finish(run: ExecutionRun, ending: RunEnding, tail?: SegmentTail): Promise<void>;
  /** The run waits for a person: its state is kept and an approval request is opened. */
  pause(run: ExecutionRun, state: string, approval: PendingApproval, tail?: SegmentTail): Promise<void>;
  /**
   * A transient failure that the queue will retry. A run started in-process (`tail.jobId`) has its
   * held job rescheduled after `retry.delaySeconds`, carrying `retry.job` (its spent attempts counted).
   */
  retrying(
    run: ExecutionRun,
    message: string,
    tail?: SegmentTail,
    retry?: { job: RunJob; delaySeconds: number },
  ): Promise<void>;
  /** Holds a run's job back `seconds` more; false when it is no longer waiting (a worker fetched it). */
  renew(jobId: string, seconds: number): Promise<boolean>;
  /** A run whose every attempt died with its worker: it ends as failed, never stuck in `running`. */
  giveUp(runId: string): Promise<void>;

  /** Keeps an inline run that has ended; returns at once (the write happens behind). */
  inlineEnded(run: InlineRun, ending: RunEnding): void;
  /** Writes an inline run now as waiting (approval) or queued (retry); it is an ordinary run from then on. */
  handOver(run: InlineRun, next: InlineHandOver): Promise<ExecutionRun>;
  /** Whether a transient failure may be retried at all (a retry limit of 0 says no). */
  canRetry(): boolean;
}
