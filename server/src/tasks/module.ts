import type { RunObserver } from '../runs/observers.ts';
import { taskRunObserver } from './outcomes.ts';
import { registerTasksRealtime } from './realtime.ts';
import { createTasksService, type TasksDeps } from './service.ts';

/**
 * Wires tasks: the service behind the routes, the run observer that moves a task with its run (added
 * where runs are recorded, so API servers and worker processes alike apply it), and where there is a
 * hub, the `tasks` channel and the dashboard's figures.
 */
export function createTasksModule(deps: TasksDeps & { observeRuns(observer: RunObserver): void }) {
  const service = createTasksService(deps);
  deps.observeRuns(taskRunObserver(deps.bus));
  return {
    service,
    registerRealtime: (realtime: Parameters<typeof registerTasksRealtime>[0]) =>
      registerTasksRealtime(realtime, service),
  };
}

export type TasksModule = ReturnType<typeof createTasksModule>;
