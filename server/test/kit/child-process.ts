import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { CLI, NODE_BIN, ROOT } from '../setup/paths.ts';

async function canListen(port: number): Promise<boolean> {
  const probe = createServer();
  probe.listen(port, '127.0.0.1');
  const ok = await Promise.race([
    once(probe, 'listening').then(() => true),
    once(probe, 'error').then(() => false),
  ]);
  if (ok) {
    probe.close();
    await once(probe, 'close');
  }
  return ok;
}

/**
 * A port nobody listens on right now (the CLI cannot report the port it got from PORT=0). It is picked
 * below Linux's ephemeral range (32768+), so servers listening on port 0 meanwhile cannot take it.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canListen(port)) return port;
  }
  throw new Error('no free port found between 20000 and 32000');
}

export interface CliProcess {
  child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  exited: Promise<number | string>;
}

/**
 * Runs `node server/src/cli.ts <args>` as a real process with exactly `env` (plus PATH and HOME), so a
 * variable of the developer's shell cannot change what is tested.
 */
export function runCli(args: string[], env: Record<string, string>): CliProcess {
  const child = spawn(NODE_BIN, [CLI, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  return { child, output: () => output, exited };
}

/**
 * How long a test that starts real server processes may take before it counts as hung. Starting a
 * process means booting Node and opening storage (PGlite replays its data directory), which takes a
 * few seconds on a quiet machine and far longer on a loaded CI box; this bound only catches hangs,
 * it never measures speed.
 */
export const PROCESS_TEST_TIMEOUT = 240_000;

/** Polls `url` until it answers `status`; fails early with the process output if the process ends first. */
export async function waitFor(
  url: string,
  cli: CliProcess,
  status = 200,
  timeoutMs = 120_000,
): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  let ended = false;
  void cli.exited.then(() => {
    ended = true;
  });
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (ended) throw new Error(`the server exited before ${url} answered ${status}:\n${cli.output()}`);
    try {
      const res = await fetch(url);
      if (res.status === status) return res;
      last = `${res.status} ${await res.text()}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (last: ${last}):\n${cli.output()}`);
}

/** Sends SIGTERM and returns the exit code. */
export async function terminate(cli: CliProcess): Promise<number | string> {
  cli.child.kill('SIGTERM');
  return cli.exited;
}
