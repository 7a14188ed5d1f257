import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { type Database, openDatabase } from '../../server/src/platform/db/index.ts';

/**
 * Runs `fn` on a fresh, migrated database that is thrown away afterwards: an in-memory PGlite, or,
 * given a PostgreSQL URL, a database created beside it (and dropped). `url` is set for PostgreSQL so
 * the server's job queue can connect too.
 */
export async function withBenchDatabase<T>(
  postgresUrl: string | undefined,
  fn: (db: Database & { url?: string }) => Promise<T>,
  options: { onDisk?: boolean } = {},
): Promise<T> {
  if (!postgresUrl) {
    // On disk, as `npm start` keeps it, when what is measured is the process's memory (in memory, the
    // whole database would count as the process's).
    const dataDir = options.onDisk ? mkdtempSync(path.join(tmpdir(), 'sb-bench-db-')) : undefined;
    const database = await openDatabase({ kind: 'pglite', ...(dataDir ? { dataDir } : {}) });
    await database.migrate();
    try {
      return await fn(database);
    } finally {
      await database.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  }
  const name = `sb_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const target = new URL(postgresUrl);
  target.pathname = `/${name}`;
  const database = await openDatabase({ kind: 'postgres', url: target.toString(), poolSize: 20 });
  try {
    await database.migrate();
    return await fn(Object.assign(database, { url: target.toString() }));
  } finally {
    await database.close();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}
