import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { useSession } from '../auth/SessionContext.tsx';
import { Segmented } from '../components/Segmented.tsx';
import { Empty, ErrorMessage, Loading, MoreButton, PageHeader } from '../components/states.tsx';
import { pagedItems } from '../queries/paging.ts';
import { NO_FILTERS, type TaskFilters, useTasksList, useTasksLive } from '../queries/tasks.ts';
import { useAssignees } from '../tasks/assignees.ts';
import { TaskBoard } from '../tasks/TaskBoard.tsx';
import { TaskDrawer } from '../tasks/TaskDrawer.tsx';
import { TaskFiltersBar } from '../tasks/TaskFilters.tsx';
import { TaskList } from '../tasks/TaskList.tsx';

type View = 'board' | 'list';

/** The board shows the newest tasks of every status at once, up to this many. */
const BOARD_LIMIT = 200;

/**
 * Tasks as a board by status (drag a card to move it) or a filtered list; `?task=<id>` opens one in the
 * drawer, `?task=new` makes one. Live through the `tasks` channel.
 */
export function TasksPage() {
  const { can } = useSession();
  const [params, setParams] = useSearchParams();
  const view: View = params.get('view') === 'list' ? 'list' : 'board';
  const open = params.get('task');
  const [filters, setFilters] = useState<TaskFilters>(NO_FILTERS);
  const shown = view === 'board' ? { ...filters, status: '' as const } : filters;
  const tasks = useTasksList(shown, view === 'board' ? BOARD_LIMIT : 50);
  useTasksLive();
  const { nameOf } = useAssignees();
  const items = pagedItems(tasks.data);

  const setParam = (key: string, value: string | null) =>
    setParams((p) => {
      const next = new URLSearchParams(p);
      if (value === null) next.delete(key);
      else next.set(key, value);
      return next;
    });
  const openTask = (id: string) => setParam('task', id);

  return (
    <div className="page-body">
      <PageHeader title="Tasks">
        <Segmented
          label="View"
          options={[
            { value: 'board', label: 'Board' },
            { value: 'list', label: 'List' },
          ]}
          value={view}
          onChange={(v) => setParam('view', v === 'board' ? null : v)}
        />
        {can('tasks:write') ? (
          <button
            type="button"
            className="btn btn-primary"
            onClick={() => openTask('new')}
            data-testid="new-task"
          >
            New task
          </button>
        ) : null}
      </PageHeader>
      <TaskFiltersBar filters={filters} onChange={setFilters} withStatus={view === 'list'} />
      {tasks.error && !tasks.data ? (
        <ErrorMessage error={tasks.error} onRetry={() => void tasks.refetch()} />
      ) : !tasks.data ? (
        <Loading label="Loading tasks…" />
      ) : view === 'board' ? (
        <>
          <TaskBoard
            tasks={items}
            nameOf={(t) => nameOf(t.assignee)}
            onOpen={openTask}
            canMove={can('tasks:write')}
          />
          {tasks.hasNextPage ? (
            <p className="muted small">
              The board shows the {BOARD_LIMIT} newest tasks; narrow it with the filters, or use the list.
            </p>
          ) : null}
        </>
      ) : items.length === 0 ? (
        <Empty title="No tasks match">Change the filters, or make a task with “New task”.</Empty>
      ) : (
        <>
          <TaskList tasks={items} nameOf={(t) => nameOf(t.assignee)} onOpen={openTask} />
          <MoreButton query={tasks} />
        </>
      )}
      {open ? (
        <TaskDrawer
          key={open}
          id={open}
          onClose={() => setParam('task', null)}
          onCreated={(id) => setParam('task', id)}
        />
      ) : null}
    </div>
  );
}
