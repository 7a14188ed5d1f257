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
 * Creates a database of its own for this run on TEST_DATABASE_URL's server, migrates it once, hands its URL
 * to the workers and drops it afterwards. Tests share it, so they create unique data.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const adminUrl = process.env.TEST_DATABASE_URL || DEFAULT_URL;
  const name = `sb_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = withDatabase(adminUrl, name);
  try {
    const database = await openDatabase({ kind: 'postgres', url, poolSize: 1 });
    try {
      await database.migrate();
    } finally {
      await database.close();
    }
  } catch (err) {
    await admin.query(`drop database if exists ${name}`);
    await admin.end();
    throw err;
  }
  project.provide('postgresUrl', url);

  return async () => {
    // A server a test forgot to close would keep the database in use; drop it regardless.
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [name]);
    await admin.query(`drop database if exists ${name}`);
    await admin.end();
  };
}
