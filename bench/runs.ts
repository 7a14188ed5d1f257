/**
 * `npm run bench -- runs [--seconds 2] [--blocks 3] [--warm-seconds 2] [--concurrency 1,8,32]
 *                        [--postgres postgres://...] [--profile <dir>]`
 *
 * Background runs against the same agent turn executed inline, on the same server and storage, at
 * several client concurrencies: `builtin:scripted` through
 *   - background: `POST /api/v1/runs`, then waiting for the run's end on the bus (no polling);
 *   - inline: non-streaming `POST /v1/chat/completions`, which executes the turn in its request.
 * Each concurrency gets a fresh database and server; the two measurements alternate in blocks of
 * `--seconds` (`--blocks` of each), so other work on the machine weighs on both alike. Printed: runs/s
 * of each, their ratio, submit -> start p50/p99 (created_at -> started_at: 0 for a run claimed in its
 * submission), where a background run's time goes (read from its run log; the last column, from the
 * client's request to its turn's first event, is when the run is really at work), and the load
 * average while it ran. On embedded PGlite and, when a
 * PostgreSQL URL is given (or TEST_DATABASE_URL is set), on PostgreSQL. `--env KEY=VALUE,...` passes
 * settings to the server (e.g. `RUN_IN_PROCESS_START=false` to measure the queue path alone).
 * `--warm-seconds` of each path run first and are not counted; `--profile <dir>` writes a CPU profile
 * of the last block of each path to `<dir>/runs-<storage>-c<clients>-<path>.cpuprofile`.
 */

import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { Database } from '../server/src/platform/db/index.ts';
import { intListOption, intOption, percentile, textOption } from './lib/args.ts';
import { withBenchDatabase } from './lib/database.ts';
import { startProfile } from './lib/profile.ts';
import { json, startBenchServer } from './lib/server.ts';

/** One background run as the client saw it (epoch ms). */
interface Sent {
  runId: string;
  sentAt: number;
  ackAt: number;
  seenAt: number;
}

/** Where a background run's time goes: p50 of each step, in ms. */
interface Profile {
  post: number;
  /** From the client's request to its turn's first event: what "started" means to the client. */
  working: number;
  queued: number;
  setup: number;
  turn: number;
  finish: number;
  notify: number;
}

interface Figures {
  storage: string;
  concurrency: number;
  runsPerSecond: number;
  turnsPerSecond: number;
  runs: number;
  turns: number;
  startP50: number;
  startP99: number;
  failed: number;
  profile: Profile;
  load: string;
}

async function scenario(
  database: Database & { url?: string },
  storage: string,
  concurrency: number,
  o: {
    seconds: number;
    blocks: number;
    warmSeconds: number;
    profileDir: string | undefined;
    env: Record<string, string>;
  },
): Promise<Figures> {
  const s = await startBenchServer(database, {
    RUN_CONCURRENCY: String(Math.max(8, concurrency)),
    CHAT_INLINE_MAX: String(Math.max(64, concurrency)),
    ...o.env,
  });
  const { ctx, url } = s;
  try {
    const headers = await s.registerOwner();
    const agent = await s.send<{ id: string; slug: string }>(headers, 'POST', '/api/v1/agents', {
      name: 'Bench agent',
    });

    // Completion comes from the bus, so waiting costs no polling.
    const waiters = new Map<string, () => void>();
    const early = new Set<string>();
    const unsubscribe = ctx.bus.subscribeAll((event) => {
      if (!event.topic.startsWith('org:') || !/^run\.(completed|failed|cancelled)$/.test(event.type)) return;
      const runId = (event.data as { runId: string }).runId;
      const done = waiters.get(runId);
      if (done) done();
      else early.add(runId);
    });
    const finished = (runId: string) =>
      new Promise<void>((resolve) => {
        if (early.delete(runId)) resolve();
        else waiters.set(runId, resolve);
      });

    let n = 0;
    const sent: Sent[] = [];
    const background = async () => {
      const sentAt = Date.now();
      const run = await json<{ id: string }>(
        await fetch(`${url}/api/v1/runs`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ agentId: agent.id, input: `run ${++n} of the benchmark` }),
        }),
      );
      const ackAt = Date.now();
      await finished(run.id);
      sent.push({ runId: run.id, sentAt, ackAt, seenAt: Date.now() });
    };
    const inline = async () => {
      await json(
        await fetch(`${url}/v1/chat/completions`, {
          method: 'POST',
          headers,
          body: JSON.stringify({
            model: agent.slug,
            messages: [{ role: 'user', content: `turn ${++n} of the benchmark` }],
          }),
        }),
      );
    };
    /** `concurrency` clients doing `op` in a loop for `ms`; answers how many and how long. */
    const block = async (op: () => Promise<void>, ms: number) => {
      let count = 0;
      const started = performance.now();
      const deadline = started + ms;
      const client = async () => {
        while (performance.now() < deadline) {
          await op();
          count++;
        }
      };
      await Promise.all(Array.from({ length: concurrency }, client));
      return { count, seconds: (performance.now() - started) / 1000 };
    };

    // Warm both paths (JIT, pools, the agent's model) as long as a measured block, then forget the
    // warm-up runs: the figures are the steady state, not the first seconds'.
    await block(inline, o.warmSeconds * 1000);
    await block(background, o.warmSeconds * 1000);
    sent.length = 0;
    // With --profile, the last block of each path is profiled (this process: server and clients).
    const measured = async (path: 'inline' | 'background', op: () => Promise<void>, last: boolean) => {
      const stop =
        last && o.profileDir
          ? await startProfile(join(o.profileDir, `runs-${storage}-c${concurrency}-${path}.cpuprofile`))
          : undefined;
      const result = await block(op, o.seconds * 1000);
      await stop?.();
      return result;
    };
    const totals = { runs: 0, runSeconds: 0, turns: 0, turnSeconds: 0 };
    const loads: number[] = [];
    for (let i = 0; i < o.blocks; i++) {
      loads.push(loadavg()[0]!);
      const t = await measured('inline', inline, i === o.blocks - 1);
      totals.turns += t.count;
      totals.turnSeconds += t.seconds;
      const b = await measured('background', background, i === o.blocks - 1);
      totals.runs += b.count;
      totals.runSeconds += b.seconds;
    }
    loads.push(loadavg()[0]!);
    unsubscribe();

    const ids = sent.map((x) => x.runId);
    const rows = (
      await ctx.database.query<{
        id: string;
        status: string;
        created: string;
        started: string;
        started_event: string | null;
        first_turn: string | null;
        last_turn: string | null;
        ended: string | null;
      }>(
        `select r.id, r.status,
                extract(epoch from r.created_at) * 1000 as created,
                extract(epoch from r.started_at) * 1000 as started,
                extract(epoch from min(e.created_at) filter (where e.type = 'run.started')) * 1000 as started_event,
                extract(epoch from min(e.created_at) filter (where e.type not like 'run.%')) * 1000 as first_turn,
                extract(epoch from max(e.created_at) filter (where e.type not like 'run.%')) * 1000 as last_turn,
                extract(epoch from max(e.created_at) filter (where e.type in ('run.completed', 'run.failed'))) * 1000 as ended
           from runs r join run_events e on e.run_id = r.id
          where r.id = any($1)
          group by r.id`,
        [ids],
      )
    ).rows;
    const byId = new Map(rows.map((r) => [r.id, r]));
    const step = (f: (x: Sent, r: (typeof rows)[number]) => number) =>
      percentile(
        sent.flatMap((x) => {
          const r = byId.get(x.runId);
          const v = r ? f(x, r) : Number.NaN;
          return Number.isFinite(v) ? [v] : [];
        }),
        50,
      );
    const num = (v: string | null) => (v === null ? Number.NaN : Number(v));
    const waits = rows.map((r) => Number(r.started) - Number(r.created));
    return {
      storage,
      concurrency,
      runsPerSecond: totals.runs / totals.runSeconds,
      turnsPerSecond: totals.turns / totals.turnSeconds,
      runs: totals.runs,
      turns: totals.turns,
      startP50: percentile(waits, 50),
      startP99: percentile(waits, 99),
      failed: rows.filter((r) => r.status !== 'succeeded').length,
      profile: {
        post: step((x) => x.ackAt - x.sentAt),
        working: step((x, r) => num(r.first_turn) - x.sentAt),
        queued: step((_, r) => num(r.started_event) - Number(r.created)),
        setup: step((_, r) => num(r.first_turn) - num(r.started_event)),
        turn: step((_, r) => num(r.last_turn) - num(r.first_turn)),
        finish: step((_, r) => num(r.ended) - num(r.last_turn)),
        notify: step((x, r) => x.seenAt - num(r.ended)),
      },
      load: `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`,
    };
  } finally {
    await s.close();
  }
}

export async function main(args: string[]): Promise<void> {
  const seconds = intOption(args, 'seconds', 2, 256);
  const blocks = intOption(args, 'blocks', 3, 256);
  const warmSeconds = intOption(args, 'warm-seconds', 2, 256, 0);
  const profileDir = textOption(args, 'profile');
  const concurrencies = intListOption(args, 'concurrency', [1, 8, 32], 256);
  const postgresUrl = textOption(args, 'postgres') ?? process.env.TEST_DATABASE_URL;
  const env = Object.fromEntries(
    (textOption(args, 'env') ?? '')
      .split(',')
      .filter(Boolean)
      .map((kv) => kv.split('=') as [string, string]),
  );
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(
    `runs bench: ${blocks} blocks of ${seconds} s each, inline and background alternating; ` +
      `load average before: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}${Object.keys(env).length ? `; env ${JSON.stringify(env)}` : ''}`,
  );
  const results: Figures[] = [];
  for (const kind of postgresUrl ? (['pglite', 'postgres'] as const) : (['pglite'] as const)) {
    for (const concurrency of concurrencies) {
      // A fresh database per scenario, so one scenario's backlog never slows the next.
      const r = await withBenchDatabase(kind === 'postgres' ? postgresUrl : undefined, (db) =>
        scenario(db, kind, concurrency, { seconds, blocks, warmSeconds, profileDir, env }),
      );
      results.push(r);
      say(
        `${r.storage} c=${r.concurrency}: background ${r.runsPerSecond.toFixed(1)} runs/s, inline ${r.turnsPerSecond.toFixed(1)} turns/s (${((100 * r.runsPerSecond) / r.turnsPerSecond).toFixed(0)}%), submit->start p50 ${r.startP50.toFixed(1)} ms p99 ${r.startP99.toFixed(1)} ms, load ${r.load}`,
      );
    }
  }
  const f = (v: number, w: number) => (Number.isFinite(v) ? v.toFixed(1) : '-').padStart(w);
  say(
    '\nstorage   clients  background runs/s  inline turns/s  ratio  submit->start p50    p99  not succeeded  load',
  );
  for (const r of results) {
    say(
      `${r.storage.padEnd(9)} ${String(r.concurrency).padStart(7)} ${f(r.runsPerSecond, 18)} ${f(r.turnsPerSecond, 15)} ${`${((100 * r.runsPerSecond) / r.turnsPerSecond).toFixed(0)}%`.padStart(6)} ${f(r.startP50, 15)} ms ${f(r.startP99, 6)} ms ${String(r.failed).padStart(14)}  ${r.load}`,
    );
  }
  say('\nwhere a background run goes, p50 ms (client clock for POST and notify, the run log for the rest):');
  say(
    'storage   clients   POST->202  created->started  started->1st event  turn  last event->end  end->client  POST->1st event',
  );
  for (const r of results) {
    const p = r.profile;
    say(
      `${r.storage.padEnd(9)} ${String(r.concurrency).padStart(7)} ${f(p.post, 11)} ${f(p.queued, 17)} ${f(p.setup, 19)} ${f(p.turn, 5)} ${f(p.finish, 16)} ${f(p.notify, 12)} ${f(p.working, 16)}`,
    );
  }
  if (!postgresUrl) say('\n(PostgreSQL: pass --postgres <url> or set TEST_DATABASE_URL)');
  process.exit(0);
}
