import type { z } from 'zod';
import type { taskSchema } from './schema.ts';
import type { TaskRecord } from './store.ts';

export type Task = z.infer<typeof taskSchema>;

export function presentTask(t: TaskRecord): Task {
  return {
    id: t.id,
    title: t.title,
    description: t.description,
    status: t.status,
    priority: t.priority,
    assignee: t.assigneeType && t.assigneeId ? { type: t.assigneeType, id: t.assigneeId } : null,
    dueAt: t.dueAt?.toISOString() ?? null,
    labels: t.labels,
    runId: t.runId,
    conversationId: t.conversationId,
    result: t.result,
    blocked: t.blocked,
    createdBy: t.createdBy,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
    completedAt: t.completedAt?.toISOString() ?? null,
  };
}
