import type { RunStatus } from '../execution/records.ts';
import type { Principal } from '../platform/auth.ts';
import type { Bus } from '../platform/bus.ts';
import type { Db } from '../platform/db/index.ts';
import { inTransaction } from '../platform/db/work.ts';
import { AppError } from '../platform/errors.ts';
import type { RequestMeta } from '../platform/http.ts';
import { newId } from '../platform/ids.ts';
import { decodeCursor, toPage } from '../platform/pagination.ts';
import type { SubmitInput, SubmitOptions } from '../runs/service.ts';
import { TaskErrors } from './errors.ts';
import { auditTask, publishTaskEvent } from './events.ts';
import { presentTask, type Task } from './present.ts';
import {
  type BulkTasksInput,
  type CreateTaskInput,
  type ListTasksQuery,
  TASK_STATUSES,
  type UpdateTaskInput,
} from './schema.ts';
import * as store from './store.ts';
import type { AssigneeType, TaskStatus } from './tables.ts';

type Assignee = { type: AssigneeType; id: string };

export interface TasksDeps {
  db: Db;
  bus: Bus;
  /** Which of these ids are agents of the org (the agents domain answers). */
  agentsOf(orgId: string, ids: string[]): Promise<Set<string>>;
  /** Which of these ids are members of the org (identity answers). */
  membersOf(orgId: string, ids: string[]): Promise<Set<string>>;
  /** Submitting and cancelling the runs that work tasks (the runs domain). */
  runs: {
    submit(p: Principal, input: SubmitInput, opts: SubmitOptions): Promise<unknown>;
    statusOf(orgId: string, runId: string): Promise<RunStatus | undefined>;
    cancel(p: Principal, runId: string): Promise<unknown>;
  };
  /** The conversation a task's runs speak in (the conversations domain). */
  conversations: {
    create(p: Principal, input: { agentId: string; title: string }): Promise<{ id: string }>;
    agentOf(orgId: string, id: string): Promise<string | undefined>;
  };
  clock?: (() => Date) | undefined;
}

export type BulkResult =
  | { id: string; ok: true; task?: Task }
  | { id: string; ok: false; error: { code: string; message: string } };

const UNFINISHED: RunStatus[] = ['queued', 'running', 'waiting_approval'];
/** Statuses in which a task is still in its run's hands: the run's outcome moves it. */
const WORKED: TaskStatus[] = ['in_progress', 'blocked'];

const assigneeOf = (t: store.TaskRecord): Assignee | null =>
  t.assigneeType && t.assigneeId ? { type: t.assigneeType, id: t.assigneeId } : null;

const sameAssignee = (a: Assignee | null, b: Assignee | null) =>
  a === b || (a !== null && b !== null && a.type === b.type && a.id === b.id);

/** What a run is asked to do for a task: its title, then its description. */
export const taskInput = (t: { title: string; description: string }) =>
  t.description.trim() ? `${t.title}\n\n${t.description}` : t.title;

/**
 * Tasks: CRUD with filters, bulk changes, the dashboard's figures, and starting a run that works a task.
 * Every change is audited and published in its own transaction; a run's outcome moves its task in the
 * run's transaction (outcomes.ts), never here.
 */
export function createTasksService(deps: TasksDeps) {
  const { db, bus } = deps;
  const now = () => deps.clock?.() ?? new Date();

  async function requireTask(p: Principal, id: string) {
    const task = await store.findTask(db, p.orgId, id);
    if (!task) throw TaskErrors.notFound(id);
    return task;
  }

  /** An assignee must be an agent or a member of the caller's org (of another org: as if absent). */
  async function checkAssignee(p: Principal, assignee: Assignee | null | undefined) {
    if (!assignee) return;
    const found =
      assignee.type === 'agent'
        ? await deps.agentsOf(p.orgId, [assignee.id])
        : await deps.membersOf(p.orgId, [assignee.id]);
    if (!found.has(assignee.id)) throw TaskErrors.unknownAssignee(assignee);
  }

  /** Stops a task's run that has not finished (the task was taken back, cancelled or deleted). */
  async function stopRun(p: Principal, runId: string | null) {
    if (!runId) return;
    const status = await deps.runs.statusOf(p.orgId, runId);
    if (!status || !UNFINISHED.includes(status)) return;
    await deps.runs.cancel(p, runId).catch((err: unknown) => {
      // It ended meanwhile: nothing left to stop.
      if (!(err instanceof AppError) || err.status >= 500) throw err;
    });
  }

  /** The columns a change of status moves with it. */
  function statusPatch(from: store.TaskRecord, to: TaskStatus): store.TaskPatch {
    if (to === from.status) return {};
    return {
      status: to,
      completedAt: to === 'done' ? now() : null,
      ...(to === 'blocked' ? {} : { blocked: null }),
    };
  }

  async function update(p: Principal, id: string, input: UpdateTaskInput, meta: RequestMeta) {
    const current = await requireTask(p, id);
    await checkAssignee(p, input.assignee);
    const patch: store.TaskPatch = {};
    const changed: string[] = [];
    const set = <K extends keyof store.TaskPatch>(key: K, value: store.TaskPatch[K], same: boolean) => {
      if (same) return;
      patch[key] = value;
      changed.push(key);
    };
    if (input.title !== undefined) set('title', input.title, input.title === current.title);
    if (input.description !== undefined)
      set('description', input.description, input.description === current.description);
    if (input.priority !== undefined) set('priority', input.priority, input.priority === current.priority);
    if (input.labels !== undefined) {
      const labels = [...new Set(input.labels)];
      set('labels', labels, labels.join('\n') === current.labels.join('\n'));
    }
    if (input.dueAt !== undefined) {
      const due = input.dueAt === null ? null : new Date(input.dueAt);
      set('dueAt', due, (due?.getTime() ?? null) === (current.dueAt?.getTime() ?? null));
    }
    if (input.assignee !== undefined && !sameAssignee(input.assignee, assigneeOf(current))) {
      patch.assigneeType = input.assignee?.type ?? null;
      patch.assigneeId = input.assignee?.id ?? null;
      changed.push('assignee');
    }
    if (input.status !== undefined && input.status !== current.status) {
      Object.assign(patch, statusPatch(current, input.status));
      changed.push('status');
    }
    if (changed.length === 0) return presentTask(current);

    const updated = await inTransaction(db, async (work) => {
      const row = await store.updateTask(work.tx, p.orgId, id, patch);
      if (!row) throw TaskErrors.notFound(id);
      const details: Record<string, unknown> = { changed };
      if (patch.status) details.status = { from: current.status, to: patch.status };
      await auditTask(work.tx, p, 'task.update', row, meta, details);
      publishTaskEvent(work, bus, 'task.updated', row);
      return row;
    });
    // Taken out of its run's hands (to do, done or cancelled by a person): the run stops.
    if (patch.status && WORKED.includes(current.status) && !WORKED.includes(patch.status)) {
      await stopRun(p, current.runId);
    }
    return presentTask(updated);
  }

  async function remove(p: Principal, id: string, meta: RequestMeta) {
    const removed = await inTransaction(db, async (work) => {
      const row = await store.deleteTask(work.tx, p.orgId, id);
      if (!row) throw TaskErrors.notFound(id);
      await auditTask(work.tx, p, 'task.delete', row, meta);
      publishTaskEvent(work, bus, 'task.deleted', row);
      return row;
    });
    await stopRun(p, removed.runId);
  }

  const service = {
    async list(p: Principal, q: ListTasksQuery) {
      const assignee =
        q.assignee === undefined
          ? undefined
          : q.assignee === 'none'
            ? null
            : (() => {
                const [type, id] = q.assignee.split(':') as [AssigneeType, string];
                return { type, id };
              })();
      const rows = await store.listTasks(
        db,
        p.orgId,
        { status: q.status, assignee, label: q.label, overdue: q.overdue, q: q.q },
        { limit: q.limit + 1, before: decodeCursor(q.cursor) },
        now(),
      );
      const page = toPage(rows, q.limit);
      return { items: page.items.map(presentTask), nextCursor: page.nextCursor };
    },

    get: async (p: Principal, id: string) => presentTask(await requireTask(p, id)),

    async create(p: Principal, input: CreateTaskInput, meta: RequestMeta) {
      await checkAssignee(p, input.assignee);
      const at = now();
      const created = await inTransaction(db, async (work) => {
        const row = await store.insertTask(work.tx, {
          id: newId('tsk'),
          orgId: p.orgId,
          title: input.title,
          description: input.description,
          status: input.status,
          priority: input.priority,
          assigneeType: input.assignee?.type ?? null,
          assigneeId: input.assignee?.id ?? null,
          dueAt: input.dueAt ? new Date(input.dueAt) : null,
          labels: [...new Set(input.labels)],
          completedAt: input.status === 'done' ? at : null,
          createdBy: p.id,
        });
        await auditTask(work.tx, p, 'task.create', row, meta, { status: row.status });
        publishTaskEvent(work, bus, 'task.created', row);
        return row;
      });
      return presentTask(created);
    },

    update,
    remove,

    /**
     * Starts a run of the assigned agent on the task (its title and description as input), in the
     * task's conversation. The run and the task's link to it commit together; the run's outcome then
     * moves the task. A run still waiting for an approval is cancelled first: the new run replaces it.
     */
    async start(p: Principal, id: string, meta: RequestMeta) {
      const task = await requireTask(p, id);
      const assignee = assigneeOf(task);
      if (assignee?.type !== 'agent') throw TaskErrors.notAgentAssigned(id, assignee);
      const agentId = assignee.id;
      if (!(await deps.agentsOf(p.orgId, [agentId])).has(agentId)) throw TaskErrors.agentGone(id, agentId);
      const previous = task.runId ? await deps.runs.statusOf(p.orgId, task.runId) : undefined;
      if (task.runId && (previous === 'queued' || previous === 'running'))
        throw TaskErrors.alreadyRunning(id, task.runId);
      if (previous === 'waiting_approval') await stopRun(p, task.runId);

      let conversationId = task.conversationId;
      if (!conversationId || (await deps.conversations.agentOf(p.orgId, conversationId)) !== agentId) {
        const title = `Task: ${task.title}`.slice(0, 200);
        conversationId = (await deps.conversations.create(p, { agentId, title })).id;
      }
      let started: store.TaskRecord | undefined;
      await deps.runs.submit(
        p,
        { agentId, input: taskInput(task), conversationId, metadata: { taskId: id } },
        {
          within: async (work, run) => {
            // Only if nobody started (or deleted) it meanwhile; otherwise the run is rolled back too.
            started = await store.updateTask(
              work.tx,
              p.orgId,
              id,
              {
                status: 'in_progress',
                runId: run.id,
                conversationId,
                result: null,
                blocked: null,
                completedAt: null,
              },
              { runId: task.runId },
            );
            if (!started) throw TaskErrors.changed(id);
            await auditTask(work.tx, p, 'task.start', started, meta, { runId: run.id, agentId });
            publishTaskEvent(work, bus, 'task.updated', started);
          },
        },
      );
      return presentTask(started!);
    },

    /**
     * One action on many tasks, each on its own (STYLE 12): a refusal (not found, an unknown assignee)
     * is that task's answer and the others go ahead. In order, one at a time, like the single routes.
     */
    async bulk(p: Principal, input: BulkTasksInput, meta: RequestMeta): Promise<BulkResult[]> {
      const act = async (id: string): Promise<Task | undefined> => {
        if (input.action === 'delete') {
          await remove(p, id, meta);
          return undefined;
        }
        if (input.action === 'status') return update(p, id, { status: input.status }, meta);
        return update(p, id, { assignee: input.assignee ?? null }, meta);
      };
      const results: BulkResult[] = [];
      for (const id of input.ids) {
        try {
          const task = await act(id);
          results.push(task ? { id, ok: true, task } : { id, ok: true });
        } catch (err) {
          if (!(err instanceof AppError) || err.status >= 500) throw err;
          results.push({ id, ok: false, error: { code: err.code, message: err.message } });
        }
      }
      return results;
    },

    /** The dashboard's task figures (`GET /tasks/stats` and the dashboard channel). */
    async figures(orgId: string) {
      const { byStatus, totals, byAssignee } = await store.taskFigures(db, orgId, now());
      const counts = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
      for (const row of byStatus) counts[row.status] = row.n;
      return {
        byStatus: counts,
        overdue: totals.overdue,
        completedLast7Days: totals.completed,
        byAssignee: byAssignee
          .map((row) => ({
            assignee: row.type && row.id ? { type: row.type, id: row.id } : null,
            open: row.open,
            done: row.done,
          }))
          .sort((a, b) => b.open - a.open || b.done - a.done),
      };
    },
    stats: (p: Principal) => service.figures(p.orgId),

    /** Titles of the org's tasks by id (the activity feed names them). */
    titlesOf: (orgId: string, ids: string[]) => store.titlesOf(db, orgId, ids),
  };
  return service;
}

export type TasksService = ReturnType<typeof createTasksService>;
