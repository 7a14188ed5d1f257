#!/usr/bin/env node
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Identity } from './identity/module.ts';
import type { Config } from './platform/config.ts';
import { supervise } from './supervisor.ts';

// Everything else is imported by the command that needs it: `start` is a small supervisor that stays
// resident beside the server it runs, and loading the whole server into it too cost ~150 MB of memory.
const USAGE = `Usage: switchboard <command>

Commands:
  start          run the API, console and workers (migrates first), restarted on POST /admin/restart
  serve          the same in this process, without the restarting supervisor (for process managers)
  worker         execute runs and deliver webhooks only (no HTTP); pair with WORKERS_IN_PROCESS=false
  migrate        apply database migrations and exit
  create-admin   create (or update) an owner: --email <e> --password <p> [--name <n>] [--org <name>]
  keys rotate    make a new token signing key; the previous one stays valid until its tokens expire
  billing replay --since <time>
                 process again every Stripe event received since then (idempotent)
  backup <file>  copy the whole database into a file (embedded: stop the server first; PostgreSQL: pg_dump)
  restore <file> [--force]
                 replace the database with a backup (embedded: into an empty DATA_DIR, or --force;
                 PostgreSQL: pg_restore --clean --if-exists)
`;

function fail(message: string): never {
  process.stderr.write(`switchboard: ${message}\n`);
  process.exit(1);
}

async function config(): Promise<Config> {
  const { ConfigError, loadConfig } = await import('./platform/config.ts');
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
}

/** Builds the console on first start so `npm ci && npm start` is enough on a fresh clone. */
async function ensureConsoleBuilt(): Promise<void> {
  const { WEB_DIST } = await import('./web-dist.ts');
  if (existsSync(WEB_DIST)) return;
  process.stderr.write('switchboard: building the console (first start only)...\n');
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const result = spawnSync('npm', ['run', 'build', '-w', 'web'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.stderr.write('switchboard: console build failed; serving the API only\n');
}

/**
 * The supervisor: runs `serve` as a child and restarts it on request. It stays small (a plain Node
 * process): the child checks the configuration and ends the supervisor with its exit code when it
 * is wrong, so not even the configuration's schema is loaded here.
 */
async function start(): Promise<void> {
  await ensureConsoleBuilt();
  supervise({
    command: process.execPath,
    args: [...process.execArgv, fileURLToPath(import.meta.url), 'serve'],
    exit: (code) => process.exit(code),
    say: (line) => process.stderr.write(`${line}\n`),
  });
}

async function serve(): Promise<void> {
  const [{ closeSweepingIdle }, { handleSignals, startServer }, { supervisedExit }] = await Promise.all([
    import('./admin/restart.ts'),
    import('./server.ts'),
    import('./supervisor.ts'),
  ]);
  const cfg = await config();
  const server = await startServer(cfg);
  handleSignals(server, cfg.shutdownTimeoutMs);
  server.domains.admin.restart.configure({
    drain: () => closeSweepingIdle(server.app.server, () => server.stop()),
    exit: supervisedExit,
  });
  // Under the supervisor: if it dies, stop rather than run on unsupervised.
  if (process.send) process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  server.app.log.info(`Switchboard is running on ${server.url} (${server.ctx.database.kind})`);
}

/** Runs workers only; stops (letting running turns finish or requeue) on SIGTERM/SIGINT. */
async function worker(): Promise<void> {
  const { startWorker } = await import('./worker.ts');
  const cfg = await config();
  const running = await startWorker(cfg);
  let signalled = false;
  const onSignal = () => {
    if (signalled) process.exit(1);
    signalled = true;
    const force = setTimeout(() => process.exit(1), cfg.shutdownTimeoutMs);
    force.unref();
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

async function migrate(): Promise<void> {
  const { openDatabase } = await import('./platform/db/index.ts');
  const cfg = await config();
  const database = await openDatabase(
    cfg.databaseUrl ? { kind: 'postgres', url: cfg.databaseUrl } : { kind: 'pglite', dataDir: cfg.dataDir },
  );
  try {
    await database.migrate();
    process.stdout.write(`migrations applied (${database.kind})\n`);
  } finally {
    await database.close();
  }
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Runs `fn` with the identity domain on a migrated database, for one-off admin commands. */
async function withIdentity(fn: (identity: Identity) => Promise<void>): Promise<void> {
  const [{ default: pino }, { createContext }, { createMailer }, { createIdentity }] = await Promise.all([
    import('pino'),
    import('./platform/context.ts'),
    import('./platform/mail.ts'),
    import('./identity/module.ts'),
  ]);
  const cfg = await config();
  const ctx = await createContext(cfg);
  const log = pino({ level: 'warn' });
  const mailer = createMailer(cfg, log);
  const identity = createIdentity(ctx.database.db, ctx.bus, cfg, log, mailer);
  try {
    await fn(identity);
  } finally {
    identity.stop();
    mailer.close();
    await ctx.close();
  }
}

async function createAdmin(args: string[]): Promise<void> {
  const email = flag(args, 'email');
  const password = flag(args, 'password');
  if (!email || !password) fail('create-admin needs --email and --password');
  await withIdentity(async (identity) => {
    const name = flag(args, 'name');
    const orgName = flag(args, 'org');
    const result = await identity.auth.ensureOwner({
      email,
      password,
      resetPassword: true,
      ...(name ? { name } : {}),
      ...(orgName ? { orgName } : {}),
    });
    process.stdout.write(result.created ? `created owner ${email}\n` : `${email} exists; password updated\n`);
  });
}

async function keys(args: string[]): Promise<void> {
  if (args[0] !== 'rotate') fail(`unknown keys command "${args[0] ?? ''}"; did you mean "keys rotate"?`);
  await withIdentity(async (identity) => {
    const kid = await identity.keyring.rotate();
    process.stdout.write(`new signing key ${kid}; earlier keys stay published until their tokens expire\n`);
  });
}

/** `billing replay --since <time>`: re-runs processing of stored Stripe events, in order per customer. */
async function billingCommand(args: string[]): Promise<void> {
  if (args[0] !== 'replay')
    fail(`unknown billing command "${args[0] ?? ''}"; did you mean "billing replay"?`);
  const since = flag(args, 'since');
  const at = since ? new Date(since) : undefined;
  if (!at || Number.isNaN(at.getTime())) fail('billing replay needs --since <ISO 8601 time>');
  const [{ default: pino }, { createContext }, { createCoreDomains }] = await Promise.all([
    import('pino'),
    import('./platform/context.ts'),
    import('./domains.ts'),
  ]);
  const cfg = await config();
  const ctx = await createContext(cfg);
  const domains = createCoreDomains(ctx, pino({ level: 'warn' }));
  try {
    const result = await domains.billing.billing.replaySince(at);
    process.stdout.write(
      `replayed ${result.events} billing event(s) received since ${at.toISOString()}; ${result.failed} failed\n`,
    );
  } finally {
    await domains.close();
    await ctx.close();
  }
}

/** `backup <file>` and `restore <file> [--force]`: the whole database, either mode. */
async function backupCommand(args: string[]): Promise<void> {
  const file = args.find((a) => !a.startsWith('--'));
  if (!file) fail('backup needs a file: switchboard backup <file>');
  const { BackupError, backup } = await import('./operations/backup.ts');
  try {
    process.stdout.write(`${await backup(await config(), file)}\n`);
  } catch (err) {
    if (err instanceof BackupError) fail(err.message);
    throw err;
  }
}

async function restoreCommand(args: string[]): Promise<void> {
  const file = args.find((a) => !a.startsWith('--'));
  if (!file) fail('restore needs a file: switchboard restore <file> [--force]');
  const { BackupError, restore } = await import('./operations/backup.ts');
  try {
    process.stdout.write(`${await restore(await config(), file, args.includes('--force'))}\n`);
  } catch (err) {
    if (err instanceof BackupError) fail(err.message);
    throw err;
  }
}

const commands: Record<string, (args: string[]) => Promise<void>> = {
  start: () => start(),
  serve: () => serve(),
  worker: () => worker(),
  migrate: () => migrate(),
  'create-admin': createAdmin,
  keys,
  billing: billingCommand,
  backup: backupCommand,
  restore: restoreCommand,
};

const [command = 'start', ...rest] = process.argv.slice(2);
const run = commands[command];
if (!run) {
  process.stderr.write(
    command === 'help' || command === '--help' ? USAGE : `unknown command "${command}"\n\n${USAGE}`,
  );
  process.exit(command === 'help' || command === '--help' ? 0 : 2);
}
run(rest).catch(async (err: unknown) => {
  const { safeErrorView } = await import('./platform/errors.ts');
  fail(safeErrorView(err).message);
});
