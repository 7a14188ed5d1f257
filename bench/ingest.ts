/**
 * `npm run bench -- ingest [--seconds 5] [--warm-seconds 2] [--events 40000] [--clients 32] [--rate 500] [--rate-seconds 10]
 *                          [--postgres postgres://...] [--redis redis://...] [--only pglite|postgres]
 *                          [--profile <dir>]`
 *
 * The Sentry-compatible error ingest, on embedded PGlite (in memory) and, when a URL is given or
 * DATABASE_URL / TEST_DATABASE_URL is set, on PostgreSQL too. One server in this process on 127.0.0.1
 * (its grouping worker in process as `npm start` runs it; Redis for the rate windows when given or
 * REDIS_URL / TEST_REDIS_URL is set), one project with a rate limit out of the way. The clients run in
 * a child process (bench/lib/ingest-clients.ts), as SDKs run elsewhere: the server's event loop is its
 * own, and the CPU figure is the server's alone (the database's and Redis's are not in it).
 *   (a) accepted: after a `--warm-seconds` burst that is not counted (and its events grouped),
 *       `--clients` concurrent clients post envelopes (one ~1.5 KB exception event each,
 *       20 kinds of error, so 20 issues) for `--seconds` or `--events`, whichever ends first:
 *       events/s answered 200; CPU per accepted event of the server process, of the clients and of
 *       the database's PostgreSQL backends (from /proc, so on Linux), a figure that other load on the
 *       machine changes far less than events/s; and how long the worker then takes to group what is left;
 *   (b) lag: `--rate` events/s, paced, for `--rate-seconds`: the time from an event's arrival to the
 *       commit of the grouping pass that made it part of its issue, p50 and p99.
 * `--profile <dir>` writes a CPU profile of the server process during (a) to `<dir>/ingest-<db>.cpuprofile`.
 * Prints a table; asserts nothing. Bounded: gives up after 10 minutes.
 */

import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { intOption, percentile, textOption } from './lib/args.ts';
import { nextMessage } from './lib/child.ts';
import { withBenchDatabase } from './lib/database.ts';
import type { BurstResult, ClientCommand, PacedResult } from './lib/ingest-clients.ts';
import { startProfile } from './lib/profile.ts';
import { type BenchServer, startBenchServer } from './lib/server.ts';

const LIMIT_MS = 600_000;

async function pending(s: BenchServer): Promise<number> {
  const { rows } = await s.ctx.database.query<{ n: string }>('select count(*) as n from error_raw_events');
  return Number(rows[0]?.n ?? 0);
}

async function drained(s: BenchServer, deadline: number): Promise<void> {
  while ((await pending(s)) > 0) {
    if (Date.now() > deadline) throw new Error('grouping did not catch up before the time limit');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** CPU seconds (user + system) each of these processes has used so far, by /proc; none off Linux. */
function cpuSeconds(pids: number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command (which may hold spaces): utime and stime are the 12th and 13th.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(pid, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // gone, or no /proc
    }
  }
  return out;
}

/** The PostgreSQL backends serving this database (the server's pool), by pid. */
async function backendPids(s: BenchServer): Promise<number[]> {
  if (s.ctx.database.kind !== 'postgres') return [];
  const { rows } = await s.ctx.database.query<{ pid: number }>(
    'select pid from pg_stat_activity where datname = current_database()',
  );
  return rows.map((r) => Number(r.pid));
}

async function measure(
  label: string,
  database: Parameters<Parameters<typeof withBenchDatabase>[1]>[0],
  args: string[],
  redisUrl: string | undefined,
) {
  const seconds = intOption(args, 'seconds', 5, 600);
  const maxEvents = intOption(args, 'events', 40_000, 10_000_000);
  const clients = intOption(args, 'clients', 32, 1024);
  const rate = intOption(args, 'rate', 500, 100_000);
  const rateSeconds = intOption(args, 'rate-seconds', 10, 600);
  const warmSeconds = intOption(args, 'warm-seconds', 2, 60);
  const profileDir = textOption(args, 'profile');
  const deadline = Date.now() + LIMIT_MS;
  const s = await startBenchServer(database, {
    ERRORS_RATE_LIMIT_PER_MINUTE: '1000000',
    ...(redisUrl ? { REDIS_URL: redisUrl, REDIS_PREFIX: `bench${randomUUID().slice(0, 6)}:` } : {}),
  });
  const child = fork(fileURLToPath(new URL('./lib/ingest-clients.ts', import.meta.url)), [], {
    stdio: 'inherit',
  });
  async function command<T>(c: ClientCommand): Promise<T> {
    const done = nextMessage<T>(child, `${c.type}-done`);
    child.send(c);
    return done;
  }
  try {
    const owner = await s.registerOwner('Ingest bench');
    const project = await s.send<{ ingestId: string; publicKey: string }>(
      owner,
      'POST',
      '/api/v1/error-projects',
      {
        name: 'Bench',
        platform: 'node',
      },
    );
    const target = {
      url: `${s.url}/api/${project.ingestId}/envelope/`,
      auth: `Sentry sentry_version=7, sentry_key=${project.publicKey}, sentry_client=bench/1`,
    };
    // Warm up: the key cache, the connection pool, then a burst like the measured one (JIT, the pool's
    // connections, PostgreSQL's caches), so the figures are the steady state, not the first seconds'.
    await command({ type: 'warm', target, events: 50 });
    if (warmSeconds > 0)
      await command<BurstResult>({ type: 'burst', target, seconds: warmSeconds, maxEvents, clients });
    await drained(s, deadline);

    // (a) accepted events/s
    const stopProfile = profileDir
      ? await startProfile(path.join(profileDir, `ingest-${label.split(' ')[0]!.toLowerCase()}.cpuprofile`))
      : undefined;
    const cpuBefore = process.cpuUsage();
    const pidsBefore = [child.pid!, ...(await backendPids(s))];
    const othersBefore = cpuSeconds(pidsBefore);
    const burst = await command<BurstResult>({ type: 'burst', target, seconds, maxEvents, clients });
    const cpu = process.cpuUsage(cpuBefore);
    const othersAfter = cpuSeconds([...new Set([...pidsBefore, ...(await backendPids(s))])]);
    await stopProfile?.();
    const used = (pid: number) => (othersAfter.get(pid) ?? 0) - (othersBefore.get(pid) ?? 0);
    const clientCpu = used(child.pid!);
    const databaseCpu = [...othersAfter.keys()]
      .filter((pid) => pid !== child.pid)
      .reduce((n, pid) => n + used(pid), 0);
    const elapsed = burst.elapsedMs / 1000;
    const left = await pending(s);
    const drainStart = performance.now();
    await drained(s, deadline);
    const drainMs = performance.now() - drainStart;

    // (b) lag at a fixed rate
    const lags: number[] = [];
    const stop = s.domains.errors.observeGrouped((grouped) => {
      const at = Date.now();
      for (const received of grouped.receivedAt) lags.push(at - received.getTime());
    });
    const paced = await command<PacedResult>({ type: 'paced', target, rate, seconds: rateSeconds });
    await drained(s, deadline);
    while (lags.length < paced.accepted && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    stop();

    const issues = await s.send<{ items: Array<{ count: number }> }>(
      owner,
      'GET',
      '/api/v1/issues?limit=200',
    );
    const { accepted, refused } = burst;
    return {
      label,
      accepted: `${Math.round(accepted / elapsed)} events/s (${accepted} in ${elapsed.toFixed(1)} s, ${clients} clients${refused ? `, ${refused} refused` : ''})`,
      cpu: `per accepted event: server ${((cpu.user + cpu.system) / 1000 / Math.max(1, accepted)).toFixed(2)} ms, clients ${((clientCpu * 1000) / Math.max(1, accepted)).toFixed(2)} ms${database.url ? `, PostgreSQL backends ${((databaseCpu * 1000) / Math.max(1, accepted)).toFixed(2)} ms` : ''}`,
      drain: `${left} waiting at the end, grouped ${Math.round(drainMs)} ms later`,
      lag: `${Math.round(paced.achieved)} events/s offered${paced.refused ? ` (${paced.refused} refused)` : ''}: p50 ${percentile(lags, 50)} ms, p99 ${percentile(lags, 99)} ms, max ${Math.max(...lags)} ms (${lags.length} events)`,
      issues: `${issues.items.length} issues, ${issues.items.reduce((n, i) => n + i.count, 0)} events grouped`,
    };
  } finally {
    child.kill();
    await s.close();
    // The bench server leaves the context's Redis connections to its caller (they keep the process up).
    await s.ctx.bus.close();
    await s.ctx.redis?.quit();
  }
}

export async function main(args: string[]): Promise<void> {
  const postgresUrl =
    textOption(args, 'postgres') ?? process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  const redisUrl = textOption(args, 'redis') ?? process.env.REDIS_URL ?? process.env.TEST_REDIS_URL;
  const only = textOption(args, 'only');
  if (only !== undefined && only !== 'pglite' && only !== 'postgres')
    throw new Error('--only takes pglite or postgres');
  if (only === 'postgres' && !postgresUrl) throw new Error('--only postgres needs a PostgreSQL URL');
  const results = [];
  if (only !== 'postgres')
    results.push(
      await withBenchDatabase(undefined, (db) => measure('PGlite (in memory)', db, args, undefined)),
    );
  if (postgresUrl && only !== 'pglite')
    results.push(
      await withBenchDatabase(postgresUrl, (db) =>
        measure(`PostgreSQL${redisUrl ? ' + Redis' : ''}`, db, args, redisUrl),
      ),
    );
  for (const r of results) {
    process.stdout.write(
      `\n${r.label}\n  accepted: ${r.accepted}\n  cpu:      ${r.cpu}\n  backlog:  ${r.drain}\n  lag:      ${r.lag}\n  result:   ${r.issues}\n`,
    );
  }
}
