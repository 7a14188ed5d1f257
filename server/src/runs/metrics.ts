import type { PgBoss } from 'pg-boss';
import { RUNS_QUEUE } from '../execution/records.ts';
import type { Database } from '../platform/db/index.ts';

export const METRIC_WINDOWS = { '1h': 3_600_000, '24h': 86_400_000, '7d': 604_800_000 } as const;
export type MetricWindow = keyof typeof METRIC_WINDOWS;
/** The series' bucket per window: a minute over an hour, half an hour over a day, three hours over a week. */
const BUCKET_MS: Record<MetricWindow, number> = { '1h': 60_000, '24h': 1_800_000, '7d': 10_800_000 };

export interface MetricBucket {
  /** Start of the bucket. */
  at: string;
  succeeded: number;
  failed: number;
  cancelled: number;
  p50Ms: number | null;
}

/**
 * Finished runs per bucket over the window, oldest first, every bucket present (empty ones as zeros),
 * so a chart shows the whole window however long the page has been open.
 */
async function finishedSeries(
  database: Database,
  window: MetricWindow,
  now: number,
): Promise<MetricBucket[]> {
  const bucket = BUCKET_MS[window];
  const first = Math.floor((now - METRIC_WINDOWS[window]) / bucket) * bucket;
  const { rows } = await database.query<{
    b: number | string;
    succeeded: number;
    failed: number;
    cancelled: number;
    p50: number | null;
  }>(
    `select floor(extract(epoch from finished_at) * 1000 / $2)::bigint as b,
      count(*) filter (where status = 'succeeded')::int as succeeded,
      count(*) filter (where status = 'failed')::int as failed,
      count(*) filter (where status = 'cancelled')::int as cancelled,
      percentile_cont(0.5) within group (order by ${DURATION}) filter (where started_at is not null) as p50
    from runs where finished_at >= $1 group by b`,
    [new Date(first), bucket],
  );
  const found = new Map(rows.map((r) => [Number(r.b) * bucket, r]));
  const series: MetricBucket[] = [];
  for (let at = first; at <= now; at += bucket) {
    const r = found.get(at);
    series.push({
      at: new Date(at).toISOString(),
      succeeded: Number(r?.succeeded ?? 0),
      failed: Number(r?.failed ?? 0),
      cancelled: Number(r?.cancelled ?? 0),
      p50Ms: r?.p50 == null ? null : Math.round(Number(r.p50)),
    });
  }
  return series;
}

type DurationRow = {
  finished: number;
  p50: number | null;
  p95: number | null;
};

const DURATION = 'extract(epoch from (finished_at - started_at)) * 1000';

/**
 * Platform-wide execution figures for the control room: runs by status now, finished runs and their
 * duration percentiles in the window, throughput per minute, and the job queue's depth.
 */
export type ExecutionMetrics = Awaited<ReturnType<typeof executionMetrics>>;
export type AgentRunStats = Awaited<ReturnType<typeof agentRunStats>>[number];

export async function executionMetrics(database: Database, queue: PgBoss, window: MetricWindow) {
  const now = Date.now();
  const since = new Date(now - METRIC_WINDOWS[window]);
  const byStatus = await database.query<{ status: string; n: number }>(
    'select status, count(*)::int as n from runs group by status',
  );
  const percentiles = `count(*)::int as finished,
      percentile_cont(0.5) within group (order by ${DURATION}) as p50,
      percentile_cont(0.95) within group (order by ${DURATION}) as p95`;
  const durations = await database.query<DurationRow & { status: string }>(
    `select status, ${percentiles} from runs
      where finished_at >= $1 and started_at is not null group by status`,
    [since],
  );
  const overall = await database.query<DurationRow>(
    `select ${percentiles} from runs where finished_at >= $1 and started_at is not null`,
    [since],
  );
  const series = await finishedSeries(database, window, now);
  const queueInfo = await queue.getQueue(RUNS_QUEUE).catch(() => null);
  const all = overall.rows[0] ?? { finished: 0, p50: null, p95: null };
  const minutes = METRIC_WINDOWS[window] / 60_000;
  const round = (n: number | null) => (n === null ? null : Math.round(Number(n)));
  return {
    at: new Date(now).toISOString(),
    window,
    bucketMs: BUCKET_MS[window],
    series,
    runsByStatus: Object.fromEntries(byStatus.rows.map((r) => [r.status, Number(r.n)])),
    finished: Number(all.finished),
    durationMs: { p50: round(all.p50), p95: round(all.p95) },
    finishedByStatus: Object.fromEntries(
      durations.rows.map((r) => [
        r.status,
        { count: Number(r.finished), p50Ms: round(r.p50), p95Ms: round(r.p95) },
      ]),
    ),
    throughputPerMinute: Math.round((Number(all.finished) / minutes) * 100) / 100,
    queue: {
      ready: queueInfo?.readyCount ?? null,
      active: queueInfo?.activeCount ?? null,
      deferred: queueInfo?.deferredCount ?? null,
    },
  };
}

/**
 * Every agent's recent runs across the platform: volume, success rate, latency and the last run (the
 * control room spans orgs; it names agents and orgs through their domains).
 */
export async function agentRunStats(database: Database, window: MetricWindow, limit = 200) {
  const since = new Date(Date.now() - METRIC_WINDOWS[window]);
  const rows = await database.query<{
    agent_id: string;
    org_id: string;
    runs: number;
    succeeded: number;
    failed: number;
    p50: number | null;
    p95: number | null;
    last_run_at: Date | string | null;
  }>(
    `select agent_id, org_id,
      count(*)::int as runs,
      count(*) filter (where status = 'succeeded')::int as succeeded,
      count(*) filter (where status = 'failed')::int as failed,
      percentile_cont(0.5) within group (order by extract(epoch from (finished_at - started_at)) * 1000) as p50,
      percentile_cont(0.95) within group (order by extract(epoch from (finished_at - started_at)) * 1000) as p95,
      max(created_at) as last_run_at
    from runs
    where created_at >= $1
    group by agent_id, org_id
    order by runs desc
    limit $2`,
    [since, limit],
  );
  return rows.rows.map((r) => {
    const finished = Number(r.succeeded) + Number(r.failed);
    return {
      agentId: r.agent_id,
      orgId: r.org_id,
      runs: Number(r.runs),
      succeeded: Number(r.succeeded),
      failed: Number(r.failed),
      successRate: finished ? Math.round((Number(r.succeeded) / finished) * 1000) / 1000 : null,
      latencyMs: {
        p50: r.p50 === null ? null : Math.round(Number(r.p50)),
        p95: r.p95 === null ? null : Math.round(Number(r.p95)),
      },
      lastRunAt: r.last_run_at ? new Date(r.last_run_at).toISOString() : null,
    };
  });
}

/** Runs not yet finished (queued, running or waiting for a person), platform-wide. */
export async function unfinishedRunCount(database: Database): Promise<number> {
  const { rows } = await database.query<{ n: number }>(
    "select count(*)::int as n from runs where status in ('queued', 'running', 'waiting_approval')",
  );
  return Number(rows[0]?.n ?? 0);
}
