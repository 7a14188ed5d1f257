import type { FastifyBaseLogger } from 'fastify';
import type { Principal } from '../platform/auth.ts';
import type { Tx } from '../platform/db/index.ts';
import { newId } from '../platform/ids.ts';
import { insertAudit } from './store.ts';

/** Where a request came from; carried into audit rows and login events. */
export interface RequestMeta {
  ip: string;
  userAgent: string | null;
  requestId: string;
}

export interface AuditEvent {
  action: string;
  orgId: string | null;
  actor: Pick<Principal, 'kind' | 'id'> | { kind: 'system' | 'anonymous'; id: string | null };
  resource?: { type: string; id: string } | undefined;
  outcome: 'success' | 'failure';
  status?: number | undefined;
  details?: Record<string, unknown> | undefined;
  meta: RequestMeta | null;
}

/** Appends one audit row. Pass the transaction of the change so the record and the change commit together. */
export async function recordAudit(tx: Tx, event: AuditEvent): Promise<void> {
  await insertAudit(tx, {
    id: newId('aud'),
    orgId: event.orgId,
    actorId: event.actor.id,
    actorType: event.actor.kind,
    action: event.action,
    resourceType: event.resource?.type ?? null,
    resourceId: event.resource?.id ?? null,
    outcome: event.outcome,
    status: event.status === undefined ? null : String(event.status),
    ip: event.meta?.ip ?? null,
    requestId: event.meta?.requestId ?? null,
    details: event.details ?? null,
  });
}

/** Records without failing the caller: an audit write error is logged, never surfaced. */
export async function recordAuditSafely(tx: Tx, event: AuditEvent, log: FastifyBaseLogger): Promise<void> {
  try {
    await recordAudit(tx, event);
  } catch (err) {
    log.error({ err, action: event.action }, 'audit write failed');
  }
}
