import type { AuditEntry } from './schema.ts';
import type { AuditRecord } from './store.ts';

export function presentAudit(r: AuditRecord): AuditEntry {
  const status = r.status === null ? null : Number.parseInt(r.status, 10);
  return {
    id: r.id,
    at: r.createdAt.toISOString(),
    actor: { type: r.actorType, id: r.actorId },
    action: r.action,
    resource: r.resourceType || r.resourceId ? { type: r.resourceType, id: r.resourceId } : null,
    outcome: r.outcome,
    status: Number.isNaN(status) ? null : status,
    ip: r.ip,
    requestId: r.requestId,
    details: r.details,
  };
}
