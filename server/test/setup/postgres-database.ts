import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/platform/db/index.ts';
import './provided.ts';

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/test';

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * Creates a migrated database for this run on TEST_DATABASE_URL's server, to serve as the template
 * each test file copies its own database from (`fileDatabaseUrl` in the test kit), and drops it and
 * every copy afterwards. Nothing connects to the template itself: PostgreSQL copies only an idle one.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const adminUrl = process.env.TEST_DATABASE_URL || DEFAULT_URL;
  const name = `sb_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = withDatabase(adminUrl, name);
  const dropAll = async () => {
    const { rows } = await admin.query<{ datname: string }>(
      'select datname from pg_database where datname = $1 or datname like $2',
      [name, `${name}\\_%`],
    );
    // A server a test forgot to close would keep its database in use; drop it regardless.
    for (const row of rows) await admin.query(`drop database if exists ${row.datname} with (force)`);
  };
  try {
    const database = await openDatabase({ kind: 'postgres', url, poolSize: 1 });
    try {
      await database.migrate();
    } finally {
      await database.close();
    }
  } catch (err) {
    await dropAll();
    await admin.end();
    throw err;
  }
  project.provide('postgresTemplate', name);
  project.provide('postgresAdminUrl', adminUrl);

  return async () => {
    await dropAll();
    await admin.end();
  };
}
