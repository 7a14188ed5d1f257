import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { afterAll, describe, expect, it } from 'vitest';
import { type Database, MIGRATIONS_DIR, openDatabase } from '../src/platform/db/index.ts';
import { storageMode, uniqueSuffix } from './kit/test-server.ts';

/**
 * Upgrades from every earlier release: for each migration N, a fresh database gets migrations 0..N,
 * rows like a running platform would have, then the server's own migrator applies the rest. The
 * schema must come out as a fresh full migration's, and the rows must survive.
 */

interface Journal {
  entries: Array<{ idx: number; tag: string }>;
}
const journal = JSON.parse(readFileSync(path.join(MIGRATIONS_DIR, 'meta/_journal.json'), 'utf8')) as Journal;
const work = mkdtempSync(path.join(tmpdir(), 'sb-migrations-'));
const cleanup: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
  rmSync(work, { recursive: true, force: true });
});

/** A migrations folder holding only the first `count` migrations, with its journal cut to match. */
function firstMigrations(count: number): string {
  const folder = path.join(work, `first-${count}`);
  mkdirSync(path.join(folder, 'meta'), { recursive: true });
  const entries = journal.entries.slice(0, count);
  for (const e of entries)
    cpSync(path.join(MIGRATIONS_DIR, `${e.tag}.sql`), path.join(folder, `${e.tag}.sql`));
  writeFileSync(path.join(folder, 'meta/_journal.json'), JSON.stringify({ ...journal, entries }));
  return folder;
}

async function freshDatabase(): Promise<Database> {
  if (storageMode === 'pglite') return openDatabase({ kind: 'pglite' });
  const { inject } = await import('vitest');
  const base = inject('postgresAdminUrl')!;
  const name = `sb_mig_${uniqueSuffix()}`;
  const admin = await openDatabase({ kind: 'postgres', url: base, poolSize: 1 });
  await admin.query(`create database ${name}`);
  await admin.close();
  cleanup.push(async () => {
    const again = await openDatabase({ kind: 'postgres', url: base, poolSize: 1 });
    await again.query(`drop database if exists ${name} with (force)`);
    await again.close();
  });
  const url = new URL(base);
  url.pathname = `/${name}`;
  return openDatabase({ kind: 'postgres', url: url.toString(), poolSize: 2 });
}

async function applyFirst(database: Database, count: number): Promise<void> {
  const migrationsFolder = firstMigrations(count);
  if (database.kind === 'pglite') await migratePglite(database.db as never, { migrationsFolder });
  else await migratePg(database.db as never, { migrationsFolder });
}

async function tableExists(database: Database, name: string): Promise<boolean> {
  const { rows } = await database.query<{ n: number }>(
    `select count(*)::int as n from information_schema.tables where table_schema = 'public' and table_name = $1`,
    [name],
  );
  return rows[0]!.n > 0;
}

/** Rows a platform has by then, in the columns every migration since has had to keep. */
async function seed(database: Database): Promise<void> {
  await database.query(`insert into orgs (id, name) values ('org_up', 'Upgraded')`);
  await database.query(
    `insert into users (id, email, name, password_hash) values ('usr_up', 'up@example.test', 'Up', 'x')`,
  );
  await database.query(
    `insert into roles (id, org_id, name, permissions, builtin) values ('role_up', 'org_up', 'owner', '[]', true)`,
  );
  await database.query(
    `insert into memberships (id, org_id, user_id, role_id) values ('mem_up', 'org_up', 'usr_up', 'role_up')`,
  );
  if (await tableExists(database, 'agents')) {
    await database.query(
      `insert into agents (id, org_id, name, slug, model, tools, handoffs, model_settings)
       values ('agt_up', 'org_up', 'Old agent', 'old-agent', 'builtin:scripted', '[]', '[]', '{}')`,
    );
  }
}

/** Columns and indexes of our schema, in a stable order. */
async function schemaOf(database: Database): Promise<string[]> {
  const { rows: columns } = await database.query<Record<string, string>>(
    `select table_name, column_name, data_type, is_nullable, coalesce(column_default, '') as column_default
       from information_schema.columns where table_schema = 'public'
      order by table_name, column_name`,
  );
  const { rows: indexes } = await database.query<{ indexdef: string }>(
    `select indexdef from pg_indexes where schemaname = 'public' order by indexname`,
  );
  return [
    ...columns.map(
      (c) => `${c.table_name}.${c.column_name} ${c.data_type} ${c.is_nullable} ${c.column_default}`,
    ),
    ...indexes.map((i) => i.indexdef),
  ];
}

describe(`upgrading from every earlier migration (${storageMode})`, () => {
  let expected: string[] = [];

  it('a fresh database migrated in full is the reference', async () => {
    const database = await freshDatabase();
    try {
      await database.migrate();
      expected = await schemaOf(database);
      expect(expected.length).toBeGreaterThan(50);
    } finally {
      await database.close();
    }
  });

  // The last migration has nothing after it to upgrade through.
  it.each(journal.entries.slice(0, -1).map((e) => [e.tag, e.idx + 1] as const))(
    'from %s, with data, to the latest',
    async (_tag, count) => {
      const database = await freshDatabase();
      try {
        await applyFirst(database, count);
        await seed(database);
        await database.migrate();
        expect(await schemaOf(database)).toEqual(expected);
        const { rows } = await database.query<{ email: string; name: string }>(
          `select u.email, o.name from users u join memberships m on m.user_id = u.id join orgs o on o.id = m.org_id`,
        );
        expect(rows).toEqual([{ email: 'up@example.test', name: 'Upgraded' }]);
        if (count >= 2) {
          const agents = await database.query<{ name: string }>(
            `select name from agents where id = 'agt_up'`,
          );
          expect(agents.rows).toEqual([{ name: 'Old agent' }]);
        }
      } finally {
        await database.close();
      }
    },
  );
});
