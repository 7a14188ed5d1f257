import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../src/platform/db/index.ts';
import { freePort, PROCESS_TEST_TIMEOUT, runCli, terminate, waitFor } from './kit/child-process.ts';
import {
  fileDatabaseUrl,
  openTestDatabase,
  storageMode,
  TEST_SECRET,
  uniqueSuffix,
} from './kit/test-server.ts';
import './setup/provided.ts';

describe('the CLI refuses bad configuration', { timeout: PROCESS_TEST_TIMEOUT }, () => {
  it('exits 1 naming the variable when PORT is invalid', async () => {
    const cli = runCli(['start'], { PORT: 'abc' });
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toBe('switchboard: invalid configuration: PORT must be a number (got "abc")\n');
  });

  it('exits 1 when production has no secret of its own, and says why', async () => {
    const cli = runCli(['migrate'], { NODE_ENV: 'production' });
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toBe(
      'switchboard: invalid configuration: SWITCHBOARD_SECRET is missing or the development default; production needs a secret of your own\n',
    );
  });

  it('exits 2 with the usage on an unknown command', async () => {
    const cli = runCli(['frobnicate'], {});
    expect(await cli.exited).toBe(2);
    expect(cli.output()).toMatch(/^unknown command "frobnicate"\n\nUsage: switchboard <command>\n/);
  });
});

/**
 * The real process, started as `npm start` does, on its own storage: a fresh data directory in embedded mode,
 * or the run's database in PostgreSQL mode.
 */
describe(`the CLI keeps data across restarts (${storageMode})`, { timeout: PROCESS_TEST_TIMEOUT }, () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sb-cli-'));
  const probeTable = `persistence_probe_${uniqueSuffix()}`;
  // The secret must match the test servers': in PostgreSQL mode they all share one database, and the keys
  // stored there are encrypted with it.
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    SWITCHBOARD_SECRET: TEST_SECRET,
  };

  /** Opens the same storage the CLI uses, while the CLI is stopped (PGlite allows one process at a time). */
  async function openStorage(): Promise<Database> {
    return storageMode === 'pglite' ? openDatabase({ kind: 'pglite', dataDir }) : openTestDatabase();
  }

  async function migrationCount(database: Database): Promise<number> {
    const { rows } = await database.query<{ n: number }>(
      'select count(*)::int as n from drizzle.__drizzle_migrations',
    );
    return rows[0]?.n ?? -1;
  }

  afterAll(async () => {
    if (storageMode === 'postgres') {
      const database = await openStorage();
      await database.query(`drop table if exists ${probeTable}`);
      await database.close();
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts, reports ready and exits 0 on SIGTERM', async () => {
    if (storageMode === 'postgres') {
      env.DATABASE_URL = await fileDatabaseUrl();
    }
    env.PORT = String(await freePort());
    const cli = runCli(['start'], env);
    const res = await waitFor(`http://127.0.0.1:${env.PORT}/health/ready`, cli);
    expect(await res.json()).toMatchObject({ status: 'ready', checks: { database: { ok: true } } });
    expect(await terminate(cli)).toBe(0);
  });

  let migrationsBefore = 0;
  it('the stopped server leaves storage another process can write to', async () => {
    const database = await openStorage();
    try {
      migrationsBefore = await migrationCount(database);
      expect(migrationsBefore).toBeGreaterThan(0);
      await database.query(`create table ${probeTable} (id text primary key, note text not null)`);
      await database.query(`insert into ${probeTable} (id, note) values ($1, $2)`, [
        'p1',
        'written while stopped',
      ]);
    } finally {
      await database.close();
    }
  });

  it('`migrate` on an up-to-date database changes nothing', async () => {
    const cli = runCli(['migrate'], env);
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toBe(`migrations applied (${storageMode})\n`);
  });

  it('starts again on the same storage, and the row survived the restart', async () => {
    env.PORT = String(await freePort());
    const cli = runCli(['start'], env);
    await waitFor(`http://127.0.0.1:${env.PORT}/health/ready`, cli);
    expect(await terminate(cli)).toBe(0);

    const database = await openStorage();
    try {
      const { rows } = await database.query(`select id, note from ${probeTable}`);
      expect(rows).toEqual([{ id: 'p1', note: 'written while stopped' }]);
      expect(await migrationCount(database)).toBe(migrationsBefore);
    } finally {
      await database.close();
    }
  });
});
