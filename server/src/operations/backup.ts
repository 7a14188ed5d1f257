import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../platform/config.ts';
import { openDatabase, pgliteDirOf, serverHolding } from '../platform/db/index.ts';

/** A backup or restore that cannot go ahead, with what the operator should do. */
export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

/** Runs a PostgreSQL client program; a missing program is named with what to install. */
function runTool(program: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'ENOENT'
          ? new BackupError(
              `${program} is not installed (or not on PATH); install the PostgreSQL client programs of your server's major version or newer (Debian: apt-get install postgresql-client)`,
            )
          : err,
      ),
    );
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(
            new BackupError(
              `${program} failed (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' ')}`,
            ),
          ),
    );
  });
}

/**
 * The connection for pg_dump / pg_restore: the URL's password goes in PGPASSWORD rather than on a
 * command line other users of the machine can read.
 */
function pgArgs(databaseUrl: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const url = new URL(databaseUrl);
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (url.password) env.PGPASSWORD = decodeURIComponent(url.password);
  url.password = '';
  return { dbname: url.toString(), env };
}

function refuseIfServing(config: Config): void {
  const holder = serverHolding(config.dataDir);
  if (holder)
    throw new BackupError(
      `a Switchboard process (pid ${holder}) has the embedded database in ${config.dataDir} open; stop it first (only one process may open it)`,
    );
}

/** `switchboard backup <file>`: the whole database into one file (PGlite's tarball, or pg_dump's custom format). */
export async function backup(config: Config, file: string): Promise<string> {
  const target = path.resolve(file);
  if (config.databaseUrl) {
    const { dbname, env } = pgArgs(config.databaseUrl);
    await runTool(
      'pg_dump',
      ['--format=custom', '--no-owner', '--no-acl', `--file=${target}`, `--dbname=${dbname}`],
      env,
    );
    return `backed up the PostgreSQL database to ${target} (pg_dump custom format)`;
  }
  refuseIfServing(config);
  if (!existsSync(pgliteDirOf(config.dataDir)))
    throw new BackupError(`there is no embedded database in ${config.dataDir} to back up`);
  const database = await openDatabase({ kind: 'pglite', dataDir: config.dataDir });
  try {
    const dump = await database.pglite!.dumpDataDir('gzip');
    writeFileSync(target, Buffer.from(await dump.arrayBuffer()));
  } finally {
    await database.close();
  }
  return `backed up the embedded database in ${config.dataDir} to ${target} (PGlite data directory, tar.gz)`;
}

/**
 * `switchboard restore <file> [--force]`: replaces the database with a backup. PostgreSQL: pg_restore
 * --clean --if-exists into DATABASE_URL. Embedded: loads the tarball into DATA_DIR, which must hold no
 * database unless `force` (the one there is then kept aside until the restore has succeeded).
 */
export async function restore(config: Config, file: string, force: boolean): Promise<string> {
  const source = path.resolve(file);
  if (!existsSync(source) || !statSync(source).isFile()) throw new BackupError(`no backup file at ${source}`);
  if (config.databaseUrl) {
    const { dbname, env } = pgArgs(config.databaseUrl);
    await runTool(
      'pg_restore',
      [
        '--clean',
        '--if-exists',
        '--no-owner',
        '--no-acl',
        '--single-transaction',
        `--dbname=${dbname}`,
        source,
      ],
      env,
    );
    return `restored ${source} into the PostgreSQL database`;
  }
  refuseIfServing(config);
  const dir = pgliteDirOf(config.dataDir);
  const occupied = existsSync(dir) && readdirSync(dir).length > 0;
  if (occupied && !force)
    throw new BackupError(
      `${config.dataDir} already holds a database; restore into an empty DATA_DIR, or pass --force to replace it`,
    );
  const aside = `${dir}.before-restore-${Date.now()}`;
  if (occupied) renameSync(dir, aside);
  else rmSync(dir, { recursive: true, force: true });
  try {
    const database = await openDatabase({
      kind: 'pglite',
      dataDir: config.dataDir,
      loadDataDir: new Blob([readFileSync(source)]),
    });
    try {
      await database.ping();
    } finally {
      await database.close();
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    if (occupied) renameSync(aside, dir);
    throw new BackupError(
      `${source} could not be loaded as an embedded database backup (${err instanceof Error ? err.message : String(err)}); nothing was changed`,
    );
  }
  if (occupied) rmSync(aside, { recursive: true, force: true });
  return `restored ${source} into the embedded database in ${config.dataDir}`;
}
