import type { Tx } from '../platform/db/index.ts';
import { auditLog } from './tables.ts';

export interface AuditRow {
  id: string;
  orgId: string | null;
  actorId: string | null;
  actorType: 'user' | 'api_key' | 'system' | 'anonymous';
  action: string;
  resourceType: string | null;
  resourceId: string | null;
  outcome: 'success' | 'failure';
  status: string | null;
  ip: string | null;
  requestId: string | null;
  details: Record<string, unknown> | null;
}

export async function insertAudit(tx: Tx, row: AuditRow): Promise<void> {
  await tx.insert(auditLog).values(row);
}
