import { type FormEvent, useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { useSession } from '../auth/SessionContext.tsx';
import { FormError, FormField, fieldError } from '../components/FormField.tsx';
import { Markdown } from '../components/Markdown.tsx';
import { Empty, ErrorMessage, Loading, StatusBadge, TimeAgo } from '../components/states.tsx';
import { TimelineEntry } from '../components/Timeline.tsx';
import { useToast } from '../components/Toasts.tsx';
import { useAgentName } from '../queries/agents.ts';
import { useInboxAction } from '../queries/inbox.ts';
import { useRun } from '../queries/runs.ts';
import {
  type Task,
  type TaskChange,
  useCreateTask,
  useDeleteTask,
  useStartTask,
  useTask,
  useUpdateTask,
} from '../queries/tasks.ts';
import { buildTimeline } from '../runs/timeline.ts';
import { useRunLog } from '../runs/useRunLog.ts';
import { assigneeKey, isOverdue, PRIORITIES, parseAssignee, STATUSES, useAssignees } from './assignees.ts';
import { TaskStatusBadge } from './TaskStatusBadge.tsx';

/** What the form edits, as its controls hold it. */
interface Draft {
  title: string;
  description: string;
  status: Task['status'];
  priority: Task['priority'];
  assignee: string;
  dueAt: string;
  labels: string;
}

/** `2030-01-02T03:04` in local time, what a datetime-local input holds. */
function localInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const draftOf = (t: Task | undefined): Draft => ({
  title: t?.title ?? '',
  description: t?.description ?? '',
  status: t?.status ?? 'todo',
  priority: t?.priority ?? 'normal',
  assignee: assigneeKey(t?.assignee ?? null),
  dueAt: localInput(t?.dueAt ?? null),
  labels: t?.labels.join(', ') ?? '',
});

const labelsOf = (text: string) =>
  text
    .split(',')
    .map((l) => l.trim())
    .filter(Boolean);

/** Only what the person changed, so a change the run made meanwhile (its status) is not undone. */
function changeOf(before: Draft, after: Draft): TaskChange {
  const change: TaskChange = {};
  if (after.title !== before.title) change.title = after.title;
  if (after.description !== before.description) change.description = after.description;
  if (after.status !== before.status) change.status = after.status;
  if (after.priority !== before.priority) change.priority = after.priority;
  if (after.assignee !== before.assignee) change.assignee = parseAssignee(after.assignee);
  if (after.dueAt !== before.dueAt) change.dueAt = after.dueAt ? new Date(after.dueAt).toISOString() : null;
  if (after.labels !== before.labels) change.labels = labelsOf(after.labels);
  return change;
}

function TaskForm({
  initial,
  disabled,
  submitLabel,
  busy,
  error,
  onSubmit,
}: {
  initial: Draft;
  disabled: boolean;
  submitLabel: string;
  busy: boolean;
  error: unknown;
  onSubmit: (draft: Draft) => void;
}) {
  const [draft, setDraft] = useState(initial);
  const { options } = useAssignees();
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit(draft);
  };
  return (
    <form className="task-form" onSubmit={submit}>
      <fieldset disabled={disabled} className="plain-fieldset">
        <FormField label="Title" error={fieldError(error, 'title')}>
          {(f) => (
            <input
              {...f}
              value={draft.title}
              onChange={(e) => set('title', e.target.value)}
              required
              maxLength={300}
              data-testid="task-title"
            />
          )}
        </FormField>
        <FormField
          label="Description"
          hint="What the agent is asked to do, after the title. Markdown."
          error={fieldError(error, 'description')}
        >
          {(f) => (
            <textarea
              {...f}
              rows={5}
              value={draft.description}
              onChange={(e) => set('description', e.target.value)}
              data-testid="task-description"
            />
          )}
        </FormField>
        <div className="form-grid">
          <FormField label="Status">
            {(f) => (
              <select
                {...f}
                value={draft.status}
                onChange={(e) => set('status', e.target.value as Draft['status'])}
                data-testid="task-status"
              >
                {STATUSES.map((s) => (
                  <option key={s.value} value={s.value}>
                    {s.label}
                  </option>
                ))}
              </select>
            )}
          </FormField>
          <FormField label="Priority">
            {(f) => (
              <select
                {...f}
                value={draft.priority}
                onChange={(e) => set('priority', e.target.value as Draft['priority'])}
              >
                {PRIORITIES.map((p) => (
                  <option key={p.value} value={p.value}>
                    {p.label}
                  </option>
                ))}
              </select>
            )}
          </FormField>
          <FormField label="Assignee" error={fieldError(error, 'assignee')}>
            {(f) => (
              <select
                {...f}
                value={draft.assignee}
                onChange={(e) => set('assignee', e.target.value)}
                data-testid="task-assignee"
              >
                <option value="">Unassigned</option>
                {options.agents.length ? (
                  <optgroup label="Agents">
                    {options.agents.map((o) => (
                      <option key={o.value} value={o.value}>
                        {o.label}
                      </option>
                    ))}
                  </optgroup>
                ) : null}
                {options.members.length ? (
                  <optgroup label="Members">
                    {options.members.map((o) => (
                      <option key={o.value} value={o.value}>
                        {o.label}
                      </option>
                    ))}
                  </optgroup>
                ) : null}
              </select>
            )}
          </FormField>
          <FormField label="Due" error={fieldError(error, 'dueAt')}>
            {(f) => (
              <input
                {...f}
                type="datetime-local"
                value={draft.dueAt}
                onChange={(e) => set('dueAt', e.target.value)}
              />
            )}
          </FormField>
        </div>
        <FormField label="Labels" hint="Separated by commas" error={fieldError(error, 'labels')}>
          {(f) => <input {...f} value={draft.labels} onChange={(e) => set('labels', e.target.value)} />}
        </FormField>
        <FormError error={error} fields={['title', 'description', 'assignee', 'dueAt', 'labels']} />
        <div className="row-actions">
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="task-save">
            {busy ? 'Saving…' : submitLabel}
          </button>
        </div>
      </fieldset>
    </form>
  );
}

/** The run working the task: its live timeline, with the approval it waits for. */
function RunProgress({ runId }: { runId: string }) {
  const { can } = useSession();
  const agentName = useAgentName();
  const run = useRun(runId);
  const log = useRunLog(runId, () => void run.refetch());
  const items = buildTimeline(log);
  const decide = useInboxAction();
  return (
    <section aria-labelledby="task-run-heading" className="task-run">
      <div className="section-head">
        <h3 id="task-run-heading">Run</h3>
        {run.data ? <StatusBadge status={run.data.status} testId="task-run-status" /> : null}
        <Link to={`/runs/${runId}`} className="small-inline">
          Open the run
        </Link>
      </div>
      {items.length === 0 ? (
        <Empty title="Waiting for the run to start" />
      ) : (
        <ol className="timeline" aria-live="polite">
          {items.map((item) => (
            <li key={item.key}>
              <TimelineEntry
                item={item}
                agentName={agentName}
                approvals={
                  can('inbox:write')
                    ? {
                        approve: (id) => decide.mutate({ id, action: 'approve' }),
                        reject: (id) => decide.mutate({ id, action: 'reject' }),
                        busy: decide.isPending,
                      }
                    : undefined
                }
              />
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function TaskDetails({ task, onClose }: { task: Task; onClose: () => void }) {
  const { can } = useSession();
  const toast = useToast();
  const { nameOf } = useAssignees();
  const update = useUpdateTask();
  const start = useStartTask();
  const remove = useDeleteTask();
  const writable = can('tasks:write');
  const initial = draftOf(task);
  // The form starts from the task as it was when opened or last saved; live changes show beside it.
  const [base, setBase] = useState(initial);
  const [formKey, setFormKey] = useState(0);
  const save = (draft: Draft) => {
    const change = changeOf(base, draft);
    if (Object.keys(change).length === 0) return;
    update.mutate(
      { id: task.id, change },
      {
        onSuccess: (saved) => {
          setBase(draftOf(saved));
          setFormKey((k) => k + 1);
          toast.notify('Task saved');
        },
      },
    );
  };
  const startable = task.assignee?.type === 'agent' && task.status !== 'in_progress';
  return (
    <>
      <div className="drawer-head">
        <h2 id="task-drawer-title">{task.title}</h2>
        <TaskStatusBadge status={task.status} testId="task-drawer-status" />
      </div>
      <dl className="facts">
        <div>
          <dt>Assignee</dt>
          <dd>{nameOf(task.assignee)}</dd>
        </div>
        <div>
          <dt>Due</dt>
          <dd className={isOverdue(task) ? 'overdue' : undefined}>
            {task.dueAt ? new Date(task.dueAt).toLocaleString() : '—'}
          </dd>
        </div>
        <div>
          <dt>Changed</dt>
          <dd>
            <TimeAgo iso={task.updatedAt} />
          </dd>
        </div>
        {task.conversationId && can('conversations:read') ? (
          <div>
            <dt>Conversation</dt>
            <dd>
              <Link to={`/chat/${task.conversationId}`}>Open in chat</Link>
            </dd>
          </div>
        ) : null}
      </dl>
      {writable ? (
        <div className="row-actions">
          <button
            type="button"
            className="btn btn-primary"
            disabled={!startable || start.isPending}
            onClick={() => start.mutate(task.id, { onError: (err) => toast.fail(err) })}
            title={task.assignee?.type === 'agent' ? undefined : 'Assign the task to an agent to start it'}
            data-testid="task-start"
          >
            {start.isPending ? 'Starting…' : task.status === 'blocked' ? 'Start again' : 'Start'}
          </button>
          <button
            type="button"
            className="btn btn-danger"
            disabled={remove.isPending}
            onClick={() => {
              if (!window.confirm(`Delete task “${task.title}”?`)) return;
              remove.mutate(task.id, { onSuccess: onClose, onError: (err) => toast.fail(err) });
            }}
          >
            Delete
          </button>
        </div>
      ) : null}
      {task.blocked ? (
        <div className="problem problem-soft" role="status" data-testid="task-blocked">
          <span>
            Blocked: {task.blocked.reason}
            {task.blocked.inboxItemId && can('inbox:read') ? (
              <>
                {' '}
                · <Link to="/inbox">Answer in the inbox</Link>
              </>
            ) : null}
          </span>
        </div>
      ) : null}
      {task.result !== null && task.status === 'done' ? (
        <section aria-labelledby="task-result-heading" className="task-result" data-testid="task-result">
          <h3 id="task-result-heading">Result</h3>
          <Markdown text={task.result} />
        </section>
      ) : null}
      {task.runId && can('runs:read') ? <RunProgress runId={task.runId} /> : null}
      <section aria-labelledby="task-edit-heading">
        <h3 id="task-edit-heading">Details</h3>
        <TaskForm
          key={`${task.id}-${formKey}`}
          initial={base}
          disabled={!writable}
          submitLabel="Save"
          busy={update.isPending}
          error={update.error}
          onSubmit={save}
        />
      </section>
    </>
  );
}

function NewTask({ onCreated }: { onCreated: (id: string) => void }) {
  const create = useCreateTask();
  const submit = (d: Draft) =>
    create.mutate(
      {
        title: d.title,
        description: d.description,
        status: d.status,
        priority: d.priority,
        assignee: parseAssignee(d.assignee),
        dueAt: d.dueAt ? new Date(d.dueAt).toISOString() : null,
        labels: labelsOf(d.labels),
      },
      { onSuccess: (task) => task && onCreated(task.id) },
    );
  return (
    <>
      <div className="drawer-head">
        <h2 id="task-drawer-title">New task</h2>
      </div>
      <TaskForm
        initial={draftOf(undefined)}
        disabled={false}
        submitLabel="Create task"
        busy={create.isPending}
        error={create.error}
        onSubmit={submit}
      />
    </>
  );
}

/**
 * A task in a drawer over the page (a modal dialog: Escape closes it, focus stays inside): its facts, its
 * run's live progress, its result, and the form to change it. `id` "new" makes one.
 */
export function TaskDrawer({
  id,
  onClose,
  onCreated,
}: {
  id: string;
  onClose: () => void;
  onCreated: (id: string) => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const task = useTask(id === 'new' ? undefined : id);
  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
  }, []);
  return (
    <dialog
      ref={dialog}
      className="drawer"
      aria-labelledby="task-drawer-title"
      onClose={onClose}
      data-testid="task-drawer"
    >
      <button type="button" className="btn btn-ghost drawer-close" onClick={onClose} aria-label="Close">
        ✕
      </button>
      {id === 'new' ? (
        <NewTask onCreated={onCreated} />
      ) : task.data ? (
        <TaskDetails key={task.data.id} task={task.data} onClose={onClose} />
      ) : task.error ? (
        <ErrorMessage error={task.error} />
      ) : (
        <Loading label="Loading the task…" />
      )}
    </dialog>
  );
}
