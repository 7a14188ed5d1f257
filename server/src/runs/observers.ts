import type { PendingApproval } from '../execution/records.ts';
import type { Work } from '../platform/db/work.ts';
import type { RunRecord } from './store.ts';

/** The call a paused run waits on, with the inbox item a person answers. */
export interface PausedFor extends PendingApproval {
  inboxItemId: string;
}

/**
 * What other domains learn about a run in the unit of work that changes it, so their own state moves
 * with the run or not at all (a task worked by a run, a fix proposed by one). An observer writes only
 * its own tables, through `work`; it must not read another domain outside that work (PGlite has one
 * connection, and the open transaction holds it).
 */
export interface RunObserver {
  /** A queued run was claimed and starts (or starts again after a retry or a decided approval). */
  started?(work: Work, run: RunRecord): Promise<void>;
  /** The run ended: succeeded, failed or cancelled (its row says which, and why). */
  ended?(work: Work, run: RunRecord): Promise<void>;
  /** The run paused for a person's approval of `approval`. */
  paused?(work: Work, run: RunRecord, approval: PausedFor): Promise<void>;
  /** A paused run was decided and goes back to work (queued again). */
  resumed?(work: Work, run: RunRecord): Promise<void>;
}

export function createRunObservers() {
  const observers: RunObserver[] = [];
  return {
    add(observer: RunObserver): void {
      observers.push(observer);
    },
    async started(work: Work, run: RunRecord): Promise<void> {
      for (const o of observers) await o.started?.(work, run);
    },
    async ended(work: Work, run: RunRecord): Promise<void> {
      for (const o of observers) await o.ended?.(work, run);
    },
    async paused(work: Work, run: RunRecord, approval: PausedFor): Promise<void> {
      for (const o of observers) await o.paused?.(work, run, approval);
    },
    async resumed(work: Work, run: RunRecord): Promise<void> {
      for (const o of observers) await o.resumed?.(work, run);
    },
  };
}

export type RunObservers = ReturnType<typeof createRunObservers>;
