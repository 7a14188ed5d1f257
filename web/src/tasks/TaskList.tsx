import { TimeAgo } from '../components/states.tsx';
import type { Task } from '../queries/tasks.ts';
import { isOverdue } from './assignees.ts';
import { TaskStatusBadge } from './TaskStatusBadge.tsx';

/** Tasks as a table, newest first; a title opens the task. */
export function TaskList({
  tasks,
  nameOf,
  onOpen,
}: {
  tasks: Task[];
  nameOf: (t: Task) => string;
  onOpen: (id: string) => void;
}) {
  return (
    <div className="card table-wrap">
      <table className="table" data-testid="task-list">
        <thead>
          <tr>
            <th>Task</th>
            <th>Status</th>
            <th>Priority</th>
            <th>Assignee</th>
            <th>Due</th>
            <th>Changed</th>
          </tr>
        </thead>
        <tbody>
          {tasks.map((t) => (
            <tr key={t.id} data-testid="task-row">
              <td className="cell-main">
                <button type="button" className="link-button" onClick={() => onOpen(t.id)}>
                  {t.title}
                </button>
                {t.labels.length ? (
                  <div className="task-labels">
                    {t.labels.map((l) => (
                      <span key={l} className="tag">
                        {l}
                      </span>
                    ))}
                  </div>
                ) : null}
              </td>
              <td>
                <TaskStatusBadge status={t.status} />
              </td>
              <td>
                <span className={`tag priority-${t.priority}`}>{t.priority}</span>
              </td>
              <td>{nameOf(t)}</td>
              <td className={isOverdue(t) ? 'overdue' : undefined}>
                {t.dueAt ? new Date(t.dueAt).toLocaleDateString() : '—'}
              </td>
              <td>
                <TimeAgo iso={t.updatedAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
