import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../platform/db/index.ts';
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
  const flushMs = opts.flushMs ?? 200;
  const batchSize = opts.batchSize ?? 200;
  const maxQueued = opts.maxQueued ?? 10_000;
  let queue: AuditRow[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  let dropped = 0;
  let written = 0;
  let stopped = false;

  async function writeAll(): Promise<void> {
    while (queue.length) {
      const batch = queue.slice(0, batchSize);
      queue = queue.slice(batchSize);
      try {
        await insertAuditBatch(opts.db, batch);
        written += batch.length;
      } catch (err) {
        dropped += batch.length;
        opts.log.error({ err, rows: batch.length }, 'audit: batch write failed; these rows are lost');
      }
    }
  }

  function flush(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    writing = writing.then(writeAll);
    return writing;
  }

  function schedule(): void {
    if (queue.length >= batchSize) void flush();
    else if (!timer) {
      timer = setTimeout(() => void flush(), flushMs);
      timer.unref();
    }
  }

  return {
    /** Queues one event; never throws and never waits. */
    record(event: AuditEvent, at: Date = new Date()): void {
      if (stopped) return;
      if (queue.length >= maxQueued) {
        if (dropped++ % 1000 === 0) opts.log.error({ dropped }, 'audit: queue full; dropping rows');
        return;
      }
      queue.push(auditRow(event, at));
      schedule();
    },
    /** Writes everything queued so far. */
    flush,
    /** Writes what is queued, then refuses new rows. */
    async stop(): Promise<void> {
      stopped = true;
      await flush();
    },
    counts: () => ({ queued: queue.length, written, dropped }),
  };
}

export type AuditRecorder = ReturnType<typeof createAuditRecorder>;
