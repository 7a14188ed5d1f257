import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../src/platform/db/index.ts';
import { anonymousClient, clientAs } from './kit/api-client.ts';
import { freePort, PROCESS_TEST_TIMEOUT, runCli, terminate, waitFor } from './kit/child-process.ts';
import { storageMode, TEST_SECRET, uniqueSuffix } from './kit/test-server.ts';
import { testPassword, uniqueEmail } from './kit/users.ts';

/**
 * `switchboard backup` and `restore` as an operator runs them: data made through the API of a real
 * server, a backup, a restore into a fresh database, and every row of every table compared.
 */

const QUEUE_SCHEMA = `q_${uniqueSuffix()}`;
const cleanup: Array<() => Promise<void> | void> = [];
const dir = mkdtempSync(path.join(tmpdir(), 'sb-backup-'));
cleanup.push(() => rmSync(dir, { recursive: true, force: true }));

/** Where the source and the restored database live, and the environment of a CLI on each. */
interface Storage {
  env: Record<string, string>;
  open(): Promise<Database>;
}

let source: Storage;
let target: Storage;

async function postgresStorage(name: string): Promise<Storage> {
  const { inject } = await import('vitest');
  const base = inject('postgresAdminUrl')!;
  const admin = await openDatabase({ kind: 'postgres', url: base, poolSize: 1 });
  await admin.query(`create database ${name}`);
  await admin.close();
  const url = new URL(base);
  url.pathname = `/${name}`;
  cleanup.push(async () => {
    const again = await openDatabase({ kind: 'postgres', url: base, poolSize: 1 });
    await again.query(`drop database if exists ${name} with (force)`);
    await again.close();
  });
  return {
    env: { DATABASE_URL: url.toString(), QUEUE_SCHEMA, DATA_DIR: path.join(dir, name) },
    open: () => openDatabase({ kind: 'postgres', url: url.toString(), poolSize: 2 }),
  };
}

function pgliteStorage(name: string): Storage {
  const dataDir = path.join(dir, name);
  return {
    env: { DATA_DIR: dataDir, QUEUE_SCHEMA },
    open: () => openDatabase({ kind: 'pglite', dataDir }),
  };
}

const baseEnv = { SWITCHBOARD_SECRET: TEST_SECRET, LOG_LEVEL: 'warn' };

/** Every row of every table of ours, the migrations' journal and the job queue, as sorted JSON per table. */
async function snapshot(storage: Storage): Promise<Map<string, string>> {
  const database = await storage.open();
  try {
    const { rows: tables } = await database.query<{ schema: string; name: string }>(
      `select table_schema as schema, table_name as name from information_schema.tables
        where table_type = 'BASE TABLE' and table_schema in ('public', 'drizzle', $1)
        order by 1, 2`,
      [QUEUE_SCHEMA],
    );
    const out = new Map<string, string>();
    for (const t of tables) {
      const { rows } = await database.query<{ data: string }>(
        `select coalesce(json_agg(r order by r::text), '[]')::text as data from "${t.schema}"."${t.name}" r`,
      );
      out.set(`${t.schema}.${t.name}`, rows[0]!.data);
    }
    return out;
  } finally {
    await database.close();
  }
}

/** Makes data in every domain through the API of a real server on `storage`, then stops it. */
async function populate(storage: Storage): Promise<void> {
  const port = await freePort();
  const cli = runCli(['serve'], { ...baseEnv, ...storage.env, PORT: String(port) });
  cleanup.push(async () => {
    cli.child.kill('SIGKILL');
    await cli.exited;
  });
  const server = { url: `http://127.0.0.1:${port}` };
  await waitFor(`${server.url}/health/ready`, cli);
  try {
    const email = uniqueEmail('backup');
    const registered = await anonymousClient(server).POST('/api/v1/auth/register', {
      body: { email, password: testPassword(), name: 'Backup Owner', orgName: 'Backed up' },
    });
    expect(registered.response.status).toBe(201);
    const api = clientAs(server, registered.data!.accessToken);
    const agent = await api.POST('/api/v1/agents', {
      body: { name: 'Keeper', instructions: 'Keep things.' },
    });
    expect(agent.response.status).toBe(201);
    const chat = await api.POST('/api/v1/chat', {
      body: { agentId: agent.data!.id, message: 'remember me' },
    });
    expect(chat.data?.reply).toBe('Echo: remember me');
    const task = await api.POST('/api/v1/tasks', { body: { title: 'Back everything up' } });
    expect(task.response.status).toBe(201);
    const file = await fetch(`${server.url}/api/v1/files/content?path=/notes/plan.md`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${registered.data!.accessToken}`, 'content-type': 'text/markdown' },
      body: '# The plan\n\nBack up, restore, compare.\n',
    });
    expect(file.status).toBeLessThan(300);
    const key = await api.POST('/api/v1/api-keys', { body: { name: 'backup-bot', scopes: ['agents:read'] } });
    expect(key.response.status).toBe(201);
    if (storageMode === 'pglite') {
      // The embedded database is this server's alone while it runs.
      const refused = runCli(['backup', path.join(dir, 'while-running.tgz')], { ...baseEnv, ...storage.env });
      expect(await refused.exited).toBe(1);
      expect(refused.output()).toMatch(/has the embedded database in .* open; stop it first/);
    }
  } finally {
    expect(await terminate(cli)).toBe(0);
  }
}

beforeAll(async () => {
  if (storageMode === 'postgres') {
    const suffix = uniqueSuffix();
    source = await postgresStorage(`sb_bk_src_${suffix}`);
    target = await postgresStorage(`sb_bk_dst_${suffix}`);
  } else {
    source = pgliteStorage('source');
    target = pgliteStorage('target');
  }
}, PROCESS_TEST_TIMEOUT);

afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
}, PROCESS_TEST_TIMEOUT);

describe(`backup and restore (${storageMode})`, () => {
  const file = path.join(dir, storageMode === 'postgres' ? 'switchboard.dump' : 'switchboard.tgz');

  it(
    'restores a backup into a fresh database with every row of every table',
    async () => {
      await populate(source);
      const backedUp = runCli(['backup', file], { ...baseEnv, ...source.env });
      expect(await backedUp.exited).toBe(0);
      expect(backedUp.output()).toContain(`to ${file}`);

      const restored = runCli(['restore', file], { ...baseEnv, ...target.env });
      expect(await restored.exited).toBe(0);
      expect(restored.output()).toContain(`restored ${file}`);

      const [before, after] = [await snapshot(source), await snapshot(target)];
      expect([...before.keys()]).toContain('public.users');
      expect([...before.keys()]).toContain(`${QUEUE_SCHEMA}.job`);
      expect(before.get('public.agents')).toContain('Keeper');
      expect(before.get('public.file_nodes')).toContain('/notes/plan.md');
      expect(before.get('public.tasks')).toContain('Back everything up');
      expect(before.get('public.user_tokens')).toContain('email_verification');
      expect([...after.keys()]).toEqual([...before.keys()]);
      for (const [table, rows] of before) expect({ table, rows: after.get(table) }).toEqual({ table, rows });

      // The restored database is a working one: the server starts on it.
      const port = await freePort();
      const cli = runCli(['serve'], { ...baseEnv, ...target.env, PORT: String(port) });
      cleanup.push(async () => {
        cli.child.kill('SIGKILL');
        await cli.exited;
      });
      await waitFor(`http://127.0.0.1:${port}/health/ready`, cli);
      expect(await terminate(cli)).toBe(0);
    },
    PROCESS_TEST_TIMEOUT,
  );

  it.skipIf(storageMode !== 'pglite')(
    'refuses to restore over an embedded database unless told to, and keeps it when the file is no backup',
    async () => {
      const refused = runCli(['restore', file], { ...baseEnv, ...target.env });
      expect(await refused.exited).toBe(1);
      expect(refused.output()).toContain(
        'already holds a database; restore into an empty DATA_DIR, or pass --force',
      );

      const junk = path.join(dir, 'not-a-backup.tgz');
      await import('node:fs').then((fs) => fs.writeFileSync(junk, 'this is not a tarball'));
      const broken = runCli(['restore', junk, '--force'], { ...baseEnv, ...target.env });
      expect(await broken.exited).toBe(1);
      expect(broken.output()).toContain('could not be loaded as an embedded database backup');
      expect(broken.output()).toContain('nothing was changed');
      expect((await snapshot(target)).get('public.agents')).toContain('Keeper');

      const forced = runCli(['restore', file, '--force'], { ...baseEnv, ...target.env });
      expect(await forced.exited).toBe(0);
    },
    PROCESS_TEST_TIMEOUT,
  );

  it.skipIf(storageMode !== 'postgres')(
    'names pg_dump when it is missing',
    async () => {
      const cli = runCli(['backup', path.join(dir, 'never.dump')], {
        ...baseEnv,
        ...source.env,
        PATH: path.join(dir, 'empty-path'),
      });
      expect(await cli.exited).toBe(1);
      expect(cli.output()).toContain('pg_dump is not installed (or not on PATH)');
    },
    PROCESS_TEST_TIMEOUT,
  );
});
