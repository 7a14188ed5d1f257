#!/usr/bin/env node
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WEB_DIST } from './app.ts';
import { type Config, ConfigError, loadConfig } from './platform/config.ts';
import { openDatabase } from './platform/db/index.ts';
import { handleSignals, startServer } from './server.ts';

const USAGE = `Usage: switchboard <command>

Commands:
  start          run the API, console and workers (migrates first)
  migrate        apply database migrations and exit
  create-admin   create (or update) an owner: --email <e> --password <p> [--name <n>] [--org <name>]
  keys rotate    make a new token signing key; the previous one stays valid until its tokens expire
`;

function fail(message: string): never {
  process.stderr.write(`switchboard: ${message}\n`);
  process.exit(1);
}

function config(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
}

/** Builds the console on first start so `npm ci && npm start` is enough on a fresh clone. */
function ensureConsoleBuilt(): void {
  if (existsSync(WEB_DIST)) return;
  process.stderr.write('switchboard: building the console (first start only)...\n');
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const result = spawnSync('npm', ['run', 'build', '-w', 'web'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.stderr.write('switchboard: console build failed; serving the API only\n');
}

async function start(): Promise<void> {
  const cfg = config();
  ensureConsoleBuilt();
  const server = await startServer(cfg);
  handleSignals(server, cfg.shutdownTimeoutMs);
  server.app.log.info(`Switchboard is running on ${server.url} (${server.ctx.database.kind})`);
}

async function migrate(): Promise<void> {
  const cfg = config();
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

const commands: Record<string, (args: string[]) => Promise<void>> = {
  start: () => start(),
  migrate: () => migrate(),
};

const [command = 'start', ...rest] = process.argv.slice(2);
const run = commands[command];
if (!run) {
  process.stderr.write(
    command === 'help' || command === '--help' ? USAGE : `unknown command "${command}"\n\n${USAGE}`,
  );
  process.exit(command === 'help' || command === '--help' ? 0 : 2);
}
run(rest).catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));
