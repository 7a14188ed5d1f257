import type { AuditEntry } from './schema.ts';

export const AUDIT_CSV_COLUMNS = [
  'id',
  'at',
  'actor_type',
  'actor_id',
  'action',
  'resource_type',
  'resource_id',
  'outcome',
  'status',
  'ip',
  'request_id',
  'details',
] as const;

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote or line break, quotes doubled. A value
 * a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) is prefixed with `'`, because
 * ids and names in the audit log come from clients.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function csvLine(values: Array<string | number | null>): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

export function auditCsvLine(e: AuditEntry): string {
  return csvLine([
    e.id,
    e.at,
    e.actor.type,
    e.actor.id,
    e.action,
    e.resource?.type ?? null,
    e.resource?.id ?? null,
    e.outcome,
    e.status,
    e.ip,
    e.requestId,
    e.details ? JSON.stringify(e.details) : null,
  ]);
}
