import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Db } from '../platform/db/index.ts';
import { createAuditRecorder } from './recorder.ts';
import type { AuditEvent } from './service.ts';
import type { AuditRow } from './store.ts';

const event = (action: string): AuditEvent => ({
  action,
  orgId: 'org_1',
  actor: { kind: 'user', id: 'usr_1' },
  outcome: 'success',
  meta: { ip: '127.0.0.1', userAgent: null, requestId: 'req_1' },
});

/**
 * A stand-in database that records inserted batches, or fails every insert. A batch is one statement
 * with its rows as one JSON parameter (platform/db/bulk.ts), read back from the rendered query.
 */
function fakeDb(fail: boolean) {
  const batches: Array<Array<Pick<AuditRow, 'action'>>> = [];
  const dialect = new PgDialect();
  const db = {
    execute: async (query: SQL) => {
      if (fail) throw new Error('connection refused');
      const [json] = dialect.sqlToQuery(query).params;
      batches.push(JSON.parse(String(json)) as Array<Pick<AuditRow, 'action'>>);
    },
  } as unknown as Db;
  return { db, batches };
}

function captureLog() {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino(
    { level: 'info' },
    { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) },
  );
  return { log, lines };
}

describe('the audit recorder', () => {
  it('writes queued rows in batches', async () => {
    const { db, batches } = fakeDb(false);
    const recorder = createAuditRecorder({ db, log: captureLog().log, batchSize: 2, flushMs: 10_000 });
    for (const a of ['a', 'b', 'c']) recorder.record(event(a));
    await recorder.flush();
    expect(batches.map((b) => b.map((r) => r.action))).toEqual([['a', 'b'], ['c']]);
    expect(recorder.counts()).toEqual({ queued: 0, written: 3, dropped: 0 });
  });

  it('logs a failed write and never throws to the caller', async () => {
    const { db } = fakeDb(true);
    const { log, lines } = captureLog();
    const recorder = createAuditRecorder({ db, log, flushMs: 10_000 });
    expect(() => recorder.record(event('lost'))).not.toThrow();
    await expect(recorder.flush()).resolves.toBeUndefined();
    expect(recorder.counts()).toEqual({ queued: 0, written: 0, dropped: 1 });
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 50, msg: 'audit: batch write failed; these rows are lost', rows: 1 }),
    );
  });

  it('drops rows past the queue bound instead of growing', async () => {
    const { db } = fakeDb(false);
    const recorder = createAuditRecorder({
      db,
      log: captureLog().log,
      batchSize: 100,
      maxQueued: 3,
      flushMs: 10_000,
    });
    for (let i = 0; i < 5; i++) recorder.record(event(`e${i}`));
    expect(recorder.counts()).toMatchObject({ queued: 3, dropped: 2 });
    await recorder.stop();
    recorder.record(event('after stop'));
    expect(recorder.counts()).toMatchObject({ queued: 0, written: 3 });
  });
});
