import { type AuditEvent, recordAudit } from '../audit/service.ts';
import type { Bus } from '../platform/bus.ts';
import type { Tx } from '../platform/db/index.ts';
import type { Work } from '../platform/db/work.ts';
import type { RequestMeta } from '../platform/http.ts';
import { presentFix } from './present.ts';
import type { FixRecord } from './store.ts';

/**
 * Tells the org's `issues` subscribers once the change has committed: `fix.updated` with the fix as
 * it is now (readers need `errors:read`).
 */
export function publishFix(work: Work, bus: Bus, fix: FixRecord): void {
  const data = { fix: presentFix(fix) };
  work.afterCommit(() =>
    bus.publish({ topic: `org:${fix.orgId}`, type: 'fix.updated', orgId: fix.orgId, data }),
  );
}

/** Who moved a fix: a person or key through the API, or the platform as its run and its job went. */
export type FixActor = { kind: 'user' | 'api_key'; id: string } | { kind: 'system'; id: null };

/**
 * The audit row of a change to a fix, in the change's transaction; the activity feed reads these (`fix.*`
 * in workspace/updates-kinds.ts), naming the issue by the short id kept here.
 */
export function auditFix(
  tx: Tx,
  actor: FixActor,
  action: string,
  fix: FixRecord,
  meta: RequestMeta | null,
  details: Record<string, unknown> = {},
): Promise<void> {
  const event: AuditEvent = {
    action,
    orgId: fix.orgId,
    actor,
    resource: { type: 'fix', id: fix.id },
    outcome: 'success',
    meta,
    details: {
      issueId: fix.issueId,
      issueShortId: fix.issueShortId,
      status: fix.status,
      ...(fix.error ? { error: fix.error } : {}),
      ...details,
    },
  };
  return recordAudit(tx, event);
}
