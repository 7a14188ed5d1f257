import { z } from 'zod';
import { pageQuerySchema } from '../platform/pagination.ts';

export const TASK_STATUSES = ['todo', 'in_progress', 'blocked', 'done', 'cancelled'] as const;
export const TASK_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
/** The statuses of work still to be done (open), for the overdue and per-assignee figures. */
export const OPEN_STATUSES = ['todo', 'in_progress', 'blocked'] as const;

export const MAX_LABELS = 20;

export const taskStatusSchema = z.enum(TASK_STATUSES).meta({ id: 'TaskStatus' });
export const taskPrioritySchema = z.enum(TASK_PRIORITIES).meta({ id: 'TaskPriority' });

export const assigneeSchema = z
  .object({
    type: z.enum(['agent', 'member']),
    id: z.string().min(1).max(100).meta({ description: 'An agent id, or a member id (`GET /members`)' }),
  })
  .meta({ id: 'TaskAssignee', description: 'An agent or a member of the organisation' });

const label = z.string().trim().min(1).max(50);
const labels = z
  .array(label)
  .max(MAX_LABELS)
  .meta({ description: `Up to ${MAX_LABELS} labels; repeats are dropped` });
const dueAt = z.iso
  .datetime({ offset: true })
  .nullable()
  .meta({ description: 'When it is due (ISO 8601); an open task past it counts as overdue' });

export const taskSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    description: z.string(),
    status: taskStatusSchema,
    priority: taskPrioritySchema,
    assignee: assigneeSchema.nullable(),
    dueAt: z.string().nullable(),
    labels: z.array(z.string()),
    runId: z.string().nullable().meta({ description: 'The run that works (or last worked) the task' }),
    conversationId: z.string().nullable().meta({ description: "The conversation the task's runs speak in" }),
    result: z
      .string()
      .nullable()
      .meta({ description: 'The final output of the run that finished the task (Markdown)' }),
    blocked: z
      .object({
        kind: z.enum(['approval', 'failure']),
        reason: z.string(),
        inboxItemId: z.string().nullable().meta({ description: 'The approval to answer in the inbox' }),
        code: z.string().nullable().meta({ description: "The run's error code (failures)" }),
      })
      .nullable()
      .meta({ description: 'Why a blocked task waits; null unless blocked by its run' }),
    createdBy: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    completedAt: z.string().nullable().meta({ description: 'When it became done; null unless done' }),
  })
  .meta({ id: 'Task' });

export const createTaskBody = z
  .object({
    title: z.string().trim().min(1).max(300),
    description: z.string().max(20_000).default(''),
    status: taskStatusSchema.default('todo'),
    priority: taskPrioritySchema.default('normal'),
    assignee: assigneeSchema.nullable().default(null),
    dueAt: dueAt.default(null),
    labels: labels.default([]),
  })
  .meta({ id: 'CreateTaskRequest' });

export const updateTaskBody = z
  .object({
    title: z.string().trim().min(1).max(300).optional(),
    description: z.string().max(20_000).optional(),
    status: taskStatusSchema.optional(),
    priority: taskPrioritySchema.optional(),
    assignee: assigneeSchema.nullable().optional(),
    dueAt: dueAt.optional(),
    labels: labels.optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'change at least one field')
  .meta({ id: 'UpdateTaskRequest' });

export type CreateTaskInput = z.infer<typeof createTaskBody>;
export type UpdateTaskInput = z.infer<typeof updateTaskBody>;

const ASSIGNEE_FILTER = /^(none|(agent|member):[\w-]{1,100})$/;

export const listTasksQuery = pageQuerySchema.extend({
  status: taskStatusSchema.optional(),
  assignee: z
    .string()
    .regex(ASSIGNEE_FILTER, 'is agent:<id>, member:<id> or none')
    .optional()
    .meta({ description: '`agent:<id>`, `member:<id>`, or `none` for unassigned tasks' }),
  label: label.optional().meta({ description: 'Only tasks carrying this label' }),
  overdue: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .meta({ description: 'true: only open tasks past their due time; false: only the others' }),
  q: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .meta({ description: 'Words found in the title or description (case-insensitive)' }),
});

export type ListTasksQuery = z.infer<typeof listTasksQuery>;

export const bulkTasksBody = z
  .object({
    ids: z
      .array(z.string().min(1).max(100))
      .min(1)
      .max(100)
      .refine((ids) => new Set(ids).size === ids.length, 'must not repeat an id'),
    action: z.enum(['status', 'assign', 'delete']),
    status: taskStatusSchema.optional().meta({ description: 'With `status`: the status to set' }),
    assignee: assigneeSchema
      .nullable()
      .optional()
      .meta({ description: 'With `assign`: who to assign to (null unassigns)' }),
  })
  .superRefine((b, ctx) => {
    if (b.action === 'status' && !b.status)
      ctx.addIssue({ code: 'custom', path: ['status'], message: 'is required with action status' });
    if (b.action === 'assign' && b.assignee === undefined)
      ctx.addIssue({ code: 'custom', path: ['assignee'], message: 'is required with action assign' });
  })
  .meta({ id: 'TaskBulkRequest' });

export type BulkTasksInput = z.infer<typeof bulkTasksBody>;

export const bulkTasksResponse = z
  .object({
    items: z.array(
      z.union([
        z.object({
          id: z.string(),
          ok: z.literal(true),
          task: taskSchema.optional().meta({ description: 'The task as it is now (absent once deleted)' }),
        }),
        z.object({
          id: z.string(),
          ok: z.literal(false),
          error: z.object({ code: z.string(), message: z.string() }),
        }),
      ]),
    ),
  })
  .meta({ id: 'TaskBulkResponse' });

export const taskStatsSchema = z
  .object({
    byStatus: z.object({
      todo: z.number().int(),
      in_progress: z.number().int(),
      blocked: z.number().int(),
      done: z.number().int(),
      cancelled: z.number().int(),
    }),
    overdue: z
      .number()
      .int()
      .meta({ description: 'Open tasks (todo, in progress, blocked) past their due time' }),
    completedLast7Days: z.number().int().meta({ description: 'Tasks done within the last 7 days' }),
    byAssignee: z.array(
      z.object({
        assignee: assigneeSchema.nullable().meta({ description: 'null: the unassigned tasks' }),
        open: z.number().int(),
        done: z.number().int(),
      }),
    ),
  })
  .meta({ id: 'TaskStats' });
