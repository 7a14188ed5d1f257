import type { ExecutionEvent } from '../execution/events.ts';
import type { RunEnding } from '../execution/records.ts';
import type { RunInsert } from './store.ts';

/** The terminal event of an ending: `run.completed`, or `run.failed` (code `cancelled` when stopped). */
export function endingEvent(ending: RunEnding): ExecutionEvent {
  if (ending.status === 'succeeded') {
    const { output, agentId, usage } = ending;
    return { type: 'run.completed', output, agentId, usage };
  }
  if (ending.status === 'failed') return { type: 'run.failed', ...ending.error };
  return { type: 'run.failed', code: 'cancelled', message: 'the run was cancelled' };
}

/** What an ending changes on the run's row. */
export function endingPatch(ending: RunEnding): Partial<RunInsert> {
  if (ending.status === 'succeeded') return { output: ending.output, usage: ending.usage };
  if (ending.status === 'failed') return { error: ending.error };
  return {};
}
