import type { Bus } from '../platform/bus.ts';
import type { Work } from '../platform/db/work.ts';
import type { PausedFor, RunObserver } from '../runs/observers.ts';
import type { RunRecord } from '../runs/store.ts';
import { auditTask, publishTaskEvent } from './events.ts';
import * as store from './store.ts';
import type { TaskStatus } from './tables.ts';

/** The task a run works, named in the metadata `start` gave it. */
const taskOf = (run: RunRecord): string | undefined => {
  const id = run.metadata?.taskId;
  return typeof id === 'string' ? id : undefined;
};

/**
 * How a run's outcome moves the task it works. This is a run observer: it runs inside the transaction
 * that records the run's transition (finished, paused, resumed), on whichever replica or worker made
 * it. So the task moves exactly once, with the run or not at all, and a run that ends while no API
 * server is up (a worker process, or after a restart) still moves its task: there is no event to miss.
 *
 * A task moves only while it is still in that run's hands: it names the run and is in progress or
 * blocked. A task a person took back (to do, done, cancelled), restarted with another run, or deleted
 * is left as it is.
 */
export function taskRunObserver(bus: Bus): RunObserver {
  async function move(
    work: Work,
    run: RunRecord,
    from: TaskStatus[],
    patch: store.TaskPatch,
    action: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    const taskId = taskOf(run);
    if (!taskId) return;
    const moved = await store.updateTask(work.tx, run.orgId, taskId, patch, {
      runId: run.id,
      statuses: from,
    });
    if (!moved) return;
    await auditTask(work.tx, { kind: 'system', id: null }, action, moved, null, {
      runId: run.id,
      ...details,
    });
    publishTaskEvent(work, bus, 'task.updated', moved);
  }

  return {
    async ended(work, run) {
      const worked: TaskStatus[] = ['in_progress', 'blocked'];
      if (run.status === 'succeeded') {
        await move(
          work,
          run,
          worked,
          { status: 'done', result: run.output ?? '', blocked: null, completedAt: new Date() },
          'task.done',
          {},
        );
      } else if (run.status === 'failed') {
        const error = run.error ?? { code: 'internal_error', message: 'the run failed' };
        const blocked = {
          kind: 'failure' as const,
          reason: error.message,
          code: error.code,
          inboxItemId: null,
        };
        await move(work, run, worked, { status: 'blocked', blocked }, 'task.blocked', {
          reason: error.message,
        });
      } else if (run.status === 'cancelled') {
        await move(work, run, worked, { status: 'todo', blocked: null }, 'task.reset', {});
      }
    },

    async paused(work, run, approval: PausedFor) {
      const reason = `waiting for approval to call ${approval.toolName}`;
      const blocked = { kind: 'approval' as const, reason, inboxItemId: approval.inboxItemId, code: null };
      await move(work, run, ['in_progress'], { status: 'blocked', blocked }, 'task.blocked', { reason });
    },

    async resumed(work, run) {
      await move(work, run, ['blocked'], { status: 'in_progress', blocked: null }, 'task.resumed', {});
    },
  };
}
