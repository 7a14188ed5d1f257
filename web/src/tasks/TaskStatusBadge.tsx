import type { TaskStatus } from '../queries/tasks.ts';
import { statusLabel } from './assignees.ts';

const TONES: Record<TaskStatus, string> = {
  todo: 'neutral',
  in_progress: 'info',
  blocked: 'wait',
  done: 'ok',
  cancelled: 'neutral',
};

export function TaskStatusBadge({ status, testId }: { status: TaskStatus; testId?: string }) {
  return (
    <span className={`badge badge-${TONES[status]}`} data-testid={testId} data-status={status}>
      {statusLabel(status)}
    </span>
  );
}
