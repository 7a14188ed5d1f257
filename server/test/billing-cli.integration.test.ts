import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../src/platform/db/index.ts';
import { PROCESS_TEST_TIMEOUT, runCli } from './kit/child-process.ts';
import {
  fileDatabaseUrl,
  openTestDatabase,
  storageMode,
  TEST_SECRET,
  uniqueSuffix,
} from './kit/test-server.ts';
import './setup/provided.ts';

/** `switchboard billing replay --since` runs processing again on the stored events, in its own process. */
describe(`switchboard billing replay (${storageMode})`, { timeout: PROCESS_TEST_TIMEOUT }, () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sb-billing-cli-'));
  const eventId = `evt_cli_${uniqueSuffix()}`;
  // Received "in the future", so --since selects this event alone even on a database other tests share.
  const receivedAt = '2099-01-01T00:00:00.000Z';
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    SWITCHBOARD_SECRET: TEST_SECRET,
  };

  async function openStorage(): Promise<Database> {
    if (storageMode === 'postgres') {
      env.DATABASE_URL = await fileDatabaseUrl();
      return openTestDatabase();
    }
    const database = await openDatabase({ kind: 'pglite', dataDir });
    await database.migrate();
    return database;
  }

  const eventRow = async (database: Database) =>
    (
      await database.query<{ status: string; attempts: number; outcome: string | null }>(
        'select status, attempts, outcome from billing_events where id = $1',
        [eventId],
      )
    ).rows[0];

  afterAll(async () => {
    if (storageMode === 'postgres') {
      const database = await openStorage();
      await database.query('delete from billing_events where id = $1', [eventId]);
      await database.close();
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('re-runs processing of the events received since then and says how many', async () => {
    let database = await openStorage();
    const payload = {
      id: eventId,
      type: 'customer.created',
      created: 1,
      data: { object: { id: 'cus_cli', object: 'customer' } },
    };
    await database.query(
      `insert into billing_events (id, type, order_key, customer_id, status, outcome, attempts, stripe_created, payload, received_at)
       values ($1, 'customer.created', $2, 'cus_cli', 'processed', 'ignored: earlier', 1, 1, $3, $4)`,
      [eventId, `cus:cli_${uniqueSuffix()}`, JSON.stringify(payload), receivedAt],
    );
    await database.close();

    const bad = runCli(['billing', 'replay'], env);
    expect(await bad.exited).toBe(1);
    expect(bad.output()).toContain('billing replay needs --since');

    const cli = runCli(['billing', 'replay', '--since', receivedAt], env);
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toContain(`replayed 1 billing event(s) received since ${receivedAt}; 0 failed`);

    database = await openStorage();
    expect(await eventRow(database)).toMatchObject({ status: 'processed', attempts: 2 });
    await database.close();
  });
});
