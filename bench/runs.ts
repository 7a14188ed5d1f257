/**
 * `npm run bench -- runs [--runs 200] [--concurrency 1,8,32] [--postgres postgres://...]`
 *
 * Runs per second end to end (POST /runs -> succeeded) with `builtin:scripted`, at several client
 * concurrencies, on embedded PGlite and (when a PostgreSQL URL is given, or TEST_DATABASE_URL is set)
 * on PostgreSQL, plus submit-to-start latency (created_at -> started_at) p50/p99. One server in this
 * process on 127.0.0.1 with its workers in-process. Bounded: each scenario stops after 120 s.
 */

import type { Database } from '../server/src/platform/db/index.ts';
import { withBenchDatabase } from './lib/database.ts';
import { json, startBenchServer } from './lib/server.ts';

const SCENARIO_LIMIT_MS = 120_000;

function list(args: string[], name: string, fallback: number[]): number[] {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const values = String(args[i + 1])
    .split(',')
    .map(Number);
  if (values.some((v) => !Number.isInteger(v) || v < 1 || v > 256))
    throw new Error(`--${name} takes numbers from 1 to 256`);
  return values;
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;

interface Figures {
  storage: string;
  concurrency: number;
  runs: number;
  runsPerSecond: number;
  startP50: number;
  startP99: number;
  failed: number;
}

async function scenario(
  database: Database & { url?: string },
  storage: string,
  concurrency: number,
  total: number,
): Promise<Figures> {
  const s = await startBenchServer(database, { RUN_CONCURRENCY: String(Math.max(8, concurrency)) });
  const { ctx, url } = s;
  try {
    const headers = await s.registerOwner();
    const agent = await s.send<{ id: string }>(headers, 'POST', '/api/v1/agents', { name: 'Bench agent' });

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

    let next = 0;
    const started = performance.now();
    const deadline = started + SCENARIO_LIMIT_MS;
    const client = async () => {
      while (next < total && performance.now() < deadline) {
        next++;
        const run = await json<{ id: string }>(
          await fetch(`${url}/api/v1/runs`, {
            method: 'POST',
            headers,
            body: JSON.stringify({ agentId: agent.id, input: `run ${next} of the benchmark` }),
          }),
        );
        await finished(run.id);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, client));
    const elapsed = (performance.now() - started) / 1000;
    unsubscribe();

    const rows = (
      await ctx.database.query<{ status: string; wait_ms: number }>(
        `select status, extract(epoch from (started_at - created_at)) * 1000 as wait_ms
           from runs where agent_id = $1`,
        [agent.id],
      )
    ).rows;
    const waits = rows.map((r) => Number(r.wait_ms)).sort((a, b) => a - b);
    return {
      storage,
      concurrency,
      runs: rows.length,
      runsPerSecond: rows.length / elapsed,
      startP50: pct(waits, 50),
      startP99: pct(waits, 99),
      failed: rows.filter((r) => r.status !== 'succeeded').length,
    };
  } finally {
    await s.close();
  }
}

export async function main(args: string[]): Promise<void> {
  const total = list(args, 'runs', [200])[0]!;
  const concurrencies = list(args, 'concurrency', [1, 8, 32]);
  const postgresUrl = option(args, 'postgres') ?? process.env.TEST_DATABASE_URL;
  const results: Figures[] = [];
  for (const kind of postgresUrl ? (['pglite', 'postgres'] as const) : (['pglite'] as const)) {
    for (const concurrency of concurrencies) {
      // A fresh database per scenario, so one scenario's backlog never slows the next.
      results.push(
        await withBenchDatabase(kind === 'postgres' ? postgresUrl : undefined, (db) =>
          scenario(db, kind, concurrency, total),
        ),
      );
      const r = results.at(-1)!;
      process.stdout.write(
        `${r.storage} c=${r.concurrency}: ${r.runsPerSecond.toFixed(1)} runs/s, submit->start p50 ${r.startP50.toFixed(1)} ms p99 ${r.startP99.toFixed(1)} ms\n`,
      );
    }
  }
  process.stdout.write('\nstorage   clients  runs  runs/s   submit->start p50   p99     not succeeded\n');
  for (const r of results) {
    process.stdout.write(
      `${r.storage.padEnd(9)} ${String(r.concurrency).padStart(7)} ${String(r.runs).padStart(5)} ${r.runsPerSecond.toFixed(1).padStart(7)} ${`${r.startP50.toFixed(1)} ms`.padStart(19)} ${`${r.startP99.toFixed(1)} ms`.padStart(8)} ${String(r.failed).padStart(10)}\n`,
    );
  }
  if (!postgresUrl) process.stdout.write('\n(PostgreSQL: pass --postgres <url> or set TEST_DATABASE_URL)\n');
  process.exit(0);
}
