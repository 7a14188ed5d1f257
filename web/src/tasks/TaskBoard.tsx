import {
  type Announcements,
  closestCenter,
  DndContext,
  type DragEndEvent,
  type KeyboardCoordinateGetter,
  KeyboardSensor,
  PointerSensor,
  useDraggable,
  useDroppable,
  useSensor,
  useSensors,
} from '@dnd-kit/core';
import { useToast } from '../components/Toasts.tsx';
import { type Task, type TaskStatus, useMoveTask } from '../queries/tasks.ts';
import { isOverdue, STATUSES, statusLabel } from './assignees.ts';

/**
 * Left and right arrows carry a picked-up card to the next column at once (the keyboard sensor's default
 * moves a few pixels a press); up and down do nothing, as order within a column is by age.
 */
const byColumn: KeyboardCoordinateGetter = (event, { context, currentCoordinates }) => {
  const step = event.code === 'ArrowRight' ? 1 : event.code === 'ArrowLeft' ? -1 : 0;
  const card = context.collisionRect;
  if (!step || !card) return currentCoordinates;
  event.preventDefault();
  const centre = card.left + card.width / 2;
  const columns = [...context.droppableRects.values()].sort((a, b) => a.left - b.left);
  const target =
    step > 0 ? columns.find((r) => r.left > centre) : columns.findLast((r) => r.left + r.width < centre);
  if (!target) return currentCoordinates;
  return { x: currentCoordinates.x + target.left + target.width / 2 - centre, y: currentCoordinates.y };
};

function TaskCard({
  task,
  assigneeName,
  onOpen,
  canMove,
}: {
  task: Task;
  assigneeName: string;
  onOpen: () => void;
  canMove: boolean;
}) {
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, transform, isDragging } = useDraggable({
    id: task.id,
    data: { title: task.title },
    disabled: !canMove,
  });
  const style = transform ? { transform: `translate3d(${transform.x}px, ${transform.y}px, 0)` } : undefined;
  return (
    <li
      ref={setNodeRef}
      style={style}
      className={`task-card card ${isDragging ? 'dragging' : ''}`}
      data-testid="task-card"
      data-status={task.status}
      {...listeners}
    >
      <div className="task-card-head">
        <button type="button" className="link-button task-open" onClick={onOpen}>
          {task.title}
        </button>
        {canMove ? (
          <button
            type="button"
            ref={setActivatorNodeRef}
            className="task-handle"
            {...attributes}
            aria-label={`Move ${task.title}`}
            title="Drag, or press Space then the arrow keys, to move"
          >
            <span aria-hidden="true">⠿</span>
          </button>
        ) : null}
      </div>
      <div className="task-card-meta">
        <span className={`tag priority-${task.priority}`}>{task.priority}</span>
        <span className="muted small-inline">{assigneeName}</span>
        {task.dueAt ? (
          <span className={`small-inline ${isOverdue(task) ? 'overdue' : 'muted'}`}>
            due {new Date(task.dueAt).toLocaleDateString()}
          </span>
        ) : null}
      </div>
      {task.blocked ? <p className="task-blocked small-inline">{task.blocked.reason}</p> : null}
      {task.labels.length ? (
        <div className="task-labels">
          {task.labels.map((l) => (
            <span key={l} className="tag">
              {l}
            </span>
          ))}
        </div>
      ) : null}
    </li>
  );
}

function Column({
  status,
  label,
  children,
  count,
}: {
  status: TaskStatus;
  label: string;
  count: number;
  children: React.ReactNode;
}) {
  const { setNodeRef, isOver } = useDroppable({ id: status });
  return (
    <section
      ref={setNodeRef}
      className={`task-column ${isOver ? 'over' : ''}`}
      aria-labelledby={`column-${status}`}
      data-testid={`column-${status}`}
    >
      <h2 id={`column-${status}`} className="task-column-title">
        {label} <span className="muted">{count}</span>
      </h2>
      <ul className="task-column-list">{children}</ul>
    </section>
  );
}

/** The tasks by status, one column each; drag a card (or pick it up with Space) to change its status. */
export function TaskBoard({
  tasks,
  nameOf,
  onOpen,
  canMove,
}: {
  tasks: Task[];
  nameOf: (t: Task) => string;
  onOpen: (id: string) => void;
  canMove: boolean;
}) {
  const toast = useToast();
  const move = useMoveTask();
  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 6 } }),
    useSensor(KeyboardSensor, { coordinateGetter: byColumn }),
  );
  const titleOf = (id: string | number) => tasks.find((t) => t.id === id)?.title ?? String(id);
  const columnOf = (id: string | number | undefined) => (id ? statusLabel(id as TaskStatus) : 'no column');
  const announcements: Announcements = {
    onDragStart: ({ active }) =>
      `Picked up ${titleOf(active.id)}. Left and right arrows move it between columns.`,
    onDragOver: ({ active, over }) => `${titleOf(active.id)} is over ${columnOf(over?.id)}.`,
    onDragEnd: ({ active, over }) => `${titleOf(active.id)} dropped in ${columnOf(over?.id)}.`,
    onDragCancel: ({ active }) => `Moving ${titleOf(active.id)} was cancelled.`,
  };

  const onDragEnd = ({ active, over }: DragEndEvent) => {
    const task = tasks.find((t) => t.id === active.id);
    const status = over?.id as TaskStatus | undefined;
    if (!task || !status || status === task.status) return;
    move.mutate(
      { id: task.id, status },
      { onError: (err) => toast.fail(err), onSuccess: () => toast.notify(`Moved to ${statusLabel(status)}`) },
    );
  };

  return (
    <DndContext
      sensors={sensors}
      collisionDetection={closestCenter}
      onDragEnd={onDragEnd}
      accessibility={{ announcements }}
    >
      <div className="task-board" data-testid="task-board">
        {STATUSES.map(({ value, label }) => {
          const inColumn = tasks.filter((t) => t.status === value);
          return (
            <Column key={value} status={value} label={label} count={inColumn.length}>
              {inColumn.map((t) => (
                <TaskCard
                  key={t.id}
                  task={t}
                  assigneeName={nameOf(t)}
                  onOpen={() => onOpen(t.id)}
                  canMove={canMove}
                />
              ))}
            </Column>
          );
        })}
      </div>
    </DndContext>
  );
}
