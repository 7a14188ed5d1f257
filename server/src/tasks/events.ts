import { type AuditEvent, recordAudit } from '../audit/service.ts';
import type { Bus } from '../platform/bus.ts';
import type { Tx } from '../platform/db/index.ts';
import type { Work } from '../platform/db/work.ts';
import type { RequestMeta } from '../platform/http.ts';
import { presentTask } from './present.ts';
import type { TaskRecord } from './store.ts';

export type TaskEventType = 'task.created' | 'task.updated' | 'task.deleted';

/**
 * Tells the org's `tasks` (and dashboard) subscribers once the change has committed: the task as it is
 * now, or for a deletion its id. Task events ride the org topic; readers need `tasks:read`.
 */
export function publishTaskEvent(work: Work, bus: Bus, type: TaskEventType, task: TaskRecord): void {
  const data = type === 'task.deleted' ? { id: task.id } : { task: presentTask(task) };
  work.afterCommit(() => bus.publish({ topic: `org:${task.orgId}`, type, orgId: task.orgId, data }));
}

/** Who changed a task: a person or key through the API, or the platform as its run moved. */
export type TaskActor = { kind: 'user' | 'api_key'; id: string } | { kind: 'system'; id: null };

/**
 * The audit row of a change to a task, in the change's transaction; the activity feed reads these
 * (`task.*` in workspace/updates-kinds.ts). The title is kept so a deleted task still reads by name.
 */
export function auditTask(
  tx: Tx,
  actor: TaskActor,
  action: string,
  task: TaskRecord,
  meta: RequestMeta | null,
  details: Record<string, unknown> = {},
): Promise<void> {
  const event: AuditEvent = {
    action,
    orgId: task.orgId,
    actor,
    resource: { type: 'task', id: task.id },
    outcome: 'success',
    meta,
    details: { title: task.title, ...details },
  };
  return recordAudit(tx, event);
}
