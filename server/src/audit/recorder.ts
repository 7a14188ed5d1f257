import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../platform/db/index.ts';
import { createWriteBehind } from '../platform/write-behind.ts';
import { type AuditEvent, auditRow } from './service.ts';
import { type AuditRow, insertAuditBatch } from './store.ts';

export interface AuditRecorderOptions {
  db: Db;
  log: FastifyBaseLogger;
  /** Rows wait at most this long before they are written. */
  flushMs?: number;
  /** Rows per insert. */
  batchSize?: number;
  /** Past this many waiting rows (the database is down or slow), new rows are dropped and counted. */
  maxQueued?: number;
}

/**
 * Writes audit rows off the request path: `record` only queues; a timer writes batches. A failed write
 * is logged and its rows are dropped, so the audit trail can never fail or slow a request.
 */
export function createAuditRecorder(opts: AuditRecorderOptions) {
  const rows = createWriteBehind<AuditRow>({
    name: 'audit',
    log: opts.log,
    write: (batch) => insertAuditBatch(opts.db, batch),
    flushMs: opts.flushMs ?? 200,
    batchSize: opts.batchSize ?? 200,
    maxQueued: opts.maxQueued ?? 10_000,
  });
  return {
    /** Queues one event; never throws and never waits. */
    record(event: AuditEvent, at: Date = new Date()): void {
      rows.add(auditRow(event, at));
    },
    flush: rows.flush,
    stop: rows.stop,
    counts: rows.counts,
  };
}

export type AuditRecorder = ReturnType<typeof createAuditRecorder>;
