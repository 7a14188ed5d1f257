import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import pg from 'pg';

/**
 * The Drizzle database, the same type for PGlite and PostgreSQL so stores never care which. It carries
 * no schema: stores name their own tables (each domain's tables.ts), so platform knows no domain.
 */
export type Db = PgDatabase<PgQueryResultHKT>;
/** A transaction handle or the database itself: stores accept either. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0] | Db;

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations', import.meta.url));

export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Db;
  /** Raw SQL for infrastructure (health checks, the job engine adapter); domains use `db`. */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: T[] }>;
  /** Throws when the database does not answer. */
  ping(): Promise<void>;
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** The underlying PGlite instance in embedded mode (for in-process LISTEN/NOTIFY). */
  readonly pglite: PGlite | undefined;
  readonly pool: pg.Pool | undefined;
}

export type DatabaseOptions =
  | { kind: 'postgres'; url: string; poolSize?: number }
  | { kind: 'pglite'; dataDir?: string; loadDataDir?: Blob };

/** Opens the embedded PGlite database (in `dataDir`, or in memory) or a PostgreSQL pool. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return options.kind === 'postgres'
    ? openPostgres(options.url, options.poolSize ?? 10)
    : openPglite(options);
}

/** Where PGlite keeps its files under DATA_DIR. */
export const pgliteDirOf = (dataDir: string) => path.join(dataDir, 'pglite');
const lockFileOf = (dataDir: string) => path.join(dataDir, 'pglite.pid');

/**
 * The pid of another live process that has the embedded database in `dataDir` open, if any. PGlite has
 * no lock of its own across processes, and two writers would corrupt it; a lock left by a process that
 * died is ignored.
 */
export function serverHolding(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(lockFileOf(dataDir), 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

/** The embedded database's buffer pool (measured: 128 MB -> 16 MB takes ~130 MB off the process). */
const PGLITE_SHARED_BUFFERS = '16MB';

async function openPglite(options: { dataDir?: string; loadDataDir?: Blob }): Promise<Database> {
  // Loaded here, not at the top: a server on PostgreSQL never loads the embedded database.
  const [{ PGlite }, { drizzle: drizzlePglite }, { migrate: migratePglite }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('drizzle-orm/pglite'),
    import('drizzle-orm/pglite/migrator'),
  ]);
  const { dataDir } = options;
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    const holder = serverHolding(dataDir);
    if (holder)
      throw new Error(
        `the embedded database in ${dataDir} is open in another process (pid ${holder}); stop it first`,
      );
    writeFileSync(lockFileOf(dataDir), `${process.pid}\n`);
  }
  const client = await PGlite.create({
    // PostgreSQL's default buffer pool (128 MB) lives inside the WebAssembly memory, which never shrinks;
    // the data directory is a file the operating system caches anyway, so a small pool costs little.
    startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${PGLITE_SHARED_BUFFERS}`],
    ...(dataDir ? { dataDir: pgliteDirOf(dataDir) } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
  });
  const db = drizzlePglite({ client }) as unknown as Db;
  let closed = false;
  return {
    kind: 'pglite',
    db,
    pglite: client,
    pool: undefined,
    async query<T>(text: string, params?: unknown[]) {
      const result = await client.query<T>(text, params);
      return { rows: result.rows };
    },
    async ping() {
      if (closed) throw new Error('database is closed');
      await client.query('select 1');
    },
    async migrate() {
      await migratePglite(db as never, { migrationsFolder: MIGRATIONS_DIR });
    },
    async close() {
      if (closed) return;
      closed = true;
      await client.close();
      if (dataDir && serverHolding(dataDir) === undefined) rmSync(lockFileOf(dataDir), { force: true });
    },
  };
}

/** Any constant works; it only has to be the same in every replica. */
const MIGRATION_LOCK_ID = 7_240_115;

async function openPostgres(url: string, max: number): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 5_000 });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const db = drizzlePg({ client: pool }) as unknown as Db;
  return {
    kind: 'postgres',
    db,
    pglite: undefined,
    pool,
    async query<T>(text: string, params?: unknown[]) {
      const result = await pool.query(text, params);
      return { rows: result.rows as T[] };
    },
    async ping() {
      await pool.query('select 1');
    },
    async migrate() {
      // Replicas may start together: an advisory lock lets exactly one apply migrations.
      const client = await pool.connect();
      try {
        await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
        await migratePg(drizzlePg({ client }), { migrationsFolder: MIGRATIONS_DIR });
      } finally {
        await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => {});
        client.release();
      }
    },
    async close() {
      if (pool.ended) return;
      await pool.end();
    },
  };
}
