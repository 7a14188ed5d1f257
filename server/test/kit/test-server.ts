import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createSwitchboardClient, type SwitchboardClient } from '@switchboard/client';
import type { FastifyInstance } from 'fastify';
import { inject } from 'vitest';
import { type BuildOptions, buildApp } from '../../src/app.ts';
import type { Domains } from '../../src/domains.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { type AppContext, createContext } from '../../src/platform/context.ts';
import { type Database, openDatabase } from '../../src/platform/db/index.ts';
import type { RouteRecord } from '../../src/platform/http.ts';
import { LOGS_DIR } from '../setup/paths.ts';
import '../setup/provided.ts';

/** Which storage the integration tests run on; the vitest project sets it. */
export const storageMode: 'pglite' | 'postgres' =
  process.env.SB_TEST_STORAGE === 'postgres' ? 'postgres' : 'pglite';

export interface TestServer {
  /** `http://127.0.0.1:<port>`, a real listening socket. */
  url: string;
  app: FastifyInstance;
  /** Every domain of the server, to reach what HTTP does not show (tests only). */
  domains: Domains;
  /** Every route with its declared auth. */
  routes: RouteRecord[];
  ctx: AppContext;
  /** Every JSON log line the server wrote, in order. */
  logs: string[];
  /** The typed client, pointed at `url`. */
  api: SwitchboardClient;
  /** Stops the server (in-flight requests finish), closes its database and removes its data dir. */
  close(): Promise<void>;
}

export const TEST_SECRET = 'test-secret-0123456789abcdef';

/** A short random suffix for unique test data (tests share the database in PostgreSQL mode). */
export function uniqueSuffix(): string {
  return randomBytes(5).toString('hex');
}

let template: Blob | undefined;

function templateBlob(): Blob {
  if (template) return template;
  const file = inject('pgliteTemplatePath');
  if (!file) throw new Error('no PGlite template: run tests through vitest (a global setup makes it)');
  template = new Blob([readFileSync(file)]);
  return template;
}

let fileDatabase: Promise<string> | undefined;

/**
 * This test file's own PostgreSQL database (a copy of the run's migrated template, made on first use),
 * shared by the servers, replicas and child processes the file starts. Files do not share one: a
 * worker of one file's server (the errors grouper's poll, say) never takes another file's rows.
 */
export function fileDatabaseUrl(): Promise<string> {
  fileDatabase ??= createFileDatabase();
  return fileDatabase;
}

async function createFileDatabase(): Promise<string> {
  const template = inject('postgresTemplate');
  const adminUrl = inject('postgresAdminUrl');
  if (!template || !adminUrl)
    throw new Error('no test database: the postgres project needs TEST_DATABASE_URL');
  const name = `${template}_${uniqueSuffix()}`;
  const admin = await openDatabase({ kind: 'postgres', url: adminUrl, poolSize: 1 });
  try {
    // Two files copying the template at the same moment can be refused ("being accessed by other
    // users") while the other copy holds it; the copy takes well under a second, so try again.
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(`create database ${name} template ${template}`);
        break;
      } catch (err) {
        if (attempt >= 20 || !String(err).includes('being accessed')) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  } finally {
    await admin.close();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * A migrated database of the current storage mode: in PGlite mode a private in-memory copy of the
 * run's template; in PostgreSQL mode a pool on this file's database.
 */
export async function openTestDatabase(): Promise<Database> {
  if (storageMode === 'postgres')
    return openDatabase({ kind: 'postgres', url: await fileDatabaseUrl(), poolSize: 4 });
  return openDatabase({ kind: 'pglite', loadDataDir: templateBlob() });
}

const logFile = path.join(LOGS_DIR, `${process.pid}.ndjson`);

/** A pino destination that keeps each line for the test and appends it to the run's log files. */
function captureLogs(logs: string[]) {
  mkdirSync(LOGS_DIR, { recursive: true });
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) {
        if (line) logs.push(line);
      }
      appendFileSync(logFile, chunk.endsWith('\n') ? chunk : `${chunk}\n`);
    },
  };
}

/** Starts a real HTTP server on 127.0.0.1 with a fresh migrated database and captured logs. */
export async function startTestServer(
  opts: { env?: Record<string, string>; testRoutes?: BuildOptions['testRoutes']; clock?: () => Date } = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sb-test-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    LOG_LEVEL: 'info',
    SWITCHBOARD_SECRET: TEST_SECRET,
    DATA_DIR: dataDir,
    // A file's test servers share its PostgreSQL database; each gets its own job queue schema so one
    // server's worker never takes another's runs. (The database is dropped after the run.)
    ...(storageMode === 'postgres'
      ? { DATABASE_URL: await fileDatabaseUrl(), QUEUE_SCHEMA: `q_${uniqueSuffix()}` }
      : {}),
    ...opts.env,
  });
  const logs: string[] = [];
  const database = await openTestDatabase();
  const ctx = await createContext(config, { database, skipMigrations: true });
  let built: Awaited<ReturnType<typeof buildApp>>;
  try {
    built = await buildApp(ctx, {
      logStream: captureLogs(logs),
      ...(opts.testRoutes ? { testRoutes: opts.testRoutes } : {}),
      ...(opts.clock ? { clock: opts.clock } : {}),
    });
    await built.app.listen({ host: '127.0.0.1', port: 0 });
  } catch (err) {
    await ctx.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const { app, domains, routes } = built;
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('the test server has no TCP address');
  const url = `http://127.0.0.1:${address.port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    app,
    domains,
    routes,
    ctx,
    logs,
    api: createSwitchboardClient({ baseUrl: url }),
    close() {
      closing ??= (async () => {
        await app.close();
        await ctx.close();
        rmSync(dataDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}

/** The captured log lines parsed as JSON objects. */
export function parseLogs(logs: string[]): Array<Record<string, unknown>> {
  return logs.map((line) => JSON.parse(line) as Record<string, unknown>);
}

/**
 * A second replica on the first one's database (PGlite cannot be opened twice, so it is shared in
 * process) with its own Redis connections, bus and hub.
 */
export async function startReplica(first: TestServer, extraEnv: Record<string, string>) {
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    LOG_LEVEL: 'warn',
    SWITCHBOARD_SECRET: TEST_SECRET,
    DATA_DIR: first.ctx.config.dataDir,
    ...(first.ctx.config.databaseUrl ? { DATABASE_URL: first.ctx.config.databaseUrl } : {}),
    ...extraEnv,
  });
  const database = { ...first.ctx.database, close: async () => {} };
  const ctx = await createContext(config, { database, skipMigrations: true });
  const { app, domains } = await buildApp(ctx, { logStream: { write: () => {} } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    domains,
    ctx,
    async close() {
      await app.close();
      await ctx.close();
    },
  };
}
