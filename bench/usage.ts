/**
 * `npm run bench -- usage [--calls 1000000] [--agents 12] [--callers 8] [--repeat 20]
 *                         [--postgres postgres://...]`
 *
 * How fast the Usage page's reads answer for a month of a busy org. One server in this process on
 * 127.0.0.1 on PostgreSQL (the URL given, else TEST_DATABASE_URL; embedded PGlite when neither is set).
 * The month is written straight into the tables with `generate_series` — `--calls` model calls spread
 * evenly over the last 30 days, across `--agents` agents (each on one of four models) and `--callers`
 * users and API keys, 1% of them failed — and summed into the hourly rollups with the same statement
 * the migration uses for older rows. A second org holds as many calls again, so every read has to pick
 * its org's rows out of twice as many. Then each read is sent `--repeat` times over HTTP as the owner:
 * the summary by each grouping, the timeline by hour and by day (whole month, and one agent), the first
 * page of failed calls and a page deep in them. Prints p50 and max per read; asserts nothing.
 */

import type { Database } from '../server/src/platform/db/index.ts';
import { intOption } from './lib/args.ts';
import { withBenchDatabase } from './lib/database.ts';
import { startBenchServer } from './lib/server.ts';

const MODELS = ['openai:gpt-4o', 'openai:gpt-4o-mini', 'anthropic:claude-sonnet-4', 'builtin:scripted'];

/**
 * Writes `calls` calls of one org over the 30 days before `end`, then their hourly rollups. Ids sort
 * as the calls were made (as the server's time-ordered ids do), so the errors page reads as in life.
 */
async function writeMonth(
  db: Database,
  org: { id: string; prefix: string },
  shape: { calls: number; agents: number; callers: number },
  end: Date,
): Promise<void> {
  const spanSeconds = 30 * 24 * 3600;
  await db.query(
    `INSERT INTO usage_events (id, org_id, agent_id, created_by, model, provider, input_tokens,
       cached_input_tokens, output_tokens, cost_nanos, latency_ms, outcome, error_code, error_message, created_at)
     SELECT $2 || lpad(i::text, 10, '0'), $1,
       'agt_' || $2 || (i % $4),
       CASE WHEN (i / 7) % $5 % 2 = 0 THEN 'usr_' ELSE 'key_' END || $2 || ((i / 7) % $5),
       ($7::text[])[1 + (i % $4) % 4], split_part(($7::text[])[1 + (i % $4) % 4], ':', 1),
       800 + (i % 1200), (i % 3) * 100, 50 + (i % 400), (i % 500) * 1000, 300 + (i % 900),
       CASE WHEN i % 100 = 0 THEN 'error' ELSE 'success' END,
       CASE WHEN i % 100 = 0 THEN 'model_error' END,
       CASE WHEN i % 100 = 0 THEN 'the provider answered 500' END,
       $6::timestamptz - make_interval(secs => ($3 - i) * ${spanSeconds}.0 / $3)
     FROM generate_series(1, $3) AS i`,
    [org.id, org.prefix, shape.calls, shape.agents, shape.callers, end.toISOString(), MODELS],
  );
  await db.query(
    `INSERT INTO usage_rollups (org_id, hour, model, agent_id, created_by, calls, errors, input_tokens,
       cached_input_tokens, output_tokens, cost_nanos)
     SELECT org_id, date_trunc('hour', created_at), model, agent_id, coalesce(created_by, ''), count(*)::int,
       (count(*) FILTER (WHERE outcome = 'error'))::int, sum(input_tokens), sum(cached_input_tokens),
       sum(output_tokens), sum(cost_nanos)
     FROM usage_events WHERE org_id = $1 GROUP BY 1, 2, 3, 4, 5`,
    [org.id],
  );
}

async function timed(repeat: number, read: () => Promise<Response>): Promise<{ p50: number; max: number }> {
  const times: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const started = performance.now();
    const res = await read();
    if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
    await res.arrayBuffer();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(times.length / 2)]!, max: times.at(-1)! };
}

export async function main(args: string[]): Promise<void> {
  const calls = intOption(args, 'calls', 1_000_000, 10_000_000);
  const agents = intOption(args, 'agents', 12, 1000);
  const callers = intOption(args, 'callers', 8, 1000);
  const repeat = intOption(args, 'repeat', 20, 1000);
  const i = args.indexOf('--postgres');
  const postgresUrl = i >= 0 ? args[i + 1] : process.env.TEST_DATABASE_URL;

  await withBenchDatabase(postgresUrl, async (database) => {
    const server = await startBenchServer(database);
    try {
      const owner = await server.registerOwner('Usage bench');
      const me = await server.send<{ org: { id: string } }>(owner, 'GET', '/api/v1/auth/me');
      const other = await server.send<{ org: { id: string } }>(
        await server.registerOwner('Neighbour'),
        'GET',
        '/api/v1/auth/me',
      );
      const end = new Date();
      const shape = { calls, agents, callers };
      let started = performance.now();
      await writeMonth(database, { id: me.org.id, prefix: 'a' }, shape, end);
      await writeMonth(database, { id: other.org.id, prefix: 'b' }, shape, end);
      await database.query('ANALYZE usage_events');
      await database.query('ANALYZE usage_rollups');
      const written = (performance.now() - started) / 1000;
      const counts = await database.query<{ events: string; rollups: string }>(
        `SELECT (SELECT count(*) FROM usage_events WHERE org_id = $1) AS events,
                (SELECT count(*) FROM usage_rollups WHERE org_id = $1) AS rollups`,
        [me.org.id],
      );
      const { events, rollups } = counts.rows[0]!;
      process.stdout.write(
        `storage ${database.kind}; org: ${events} calls in 30 days, ${rollups} hourly rollup rows ` +
          `(${agents} agents, ${callers} callers); neighbour org the same; written in ${written.toFixed(1)} s\n\n`,
      );

      const from = new Date(end.getTime() - 30 * 24 * 3600 * 1000).toISOString();
      const range = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(end.toISOString())}`;
      const get = (route: string) => () => fetch(`${server.url}/api/v1${route}`, { headers: owner });
      const firstErrors = await server.send<{ items: unknown[]; nextCursor: string | null }>(
        owner,
        'GET',
        `/api/v1/usage/errors?${range}&limit=50`,
      );
      // A page deep in the month: follow the cursor 40 pages (2,000 failed calls) down.
      let cursor = firstErrors.nextCursor;
      for (let page = 0; page < 40 && cursor; page++) {
        const next = await server.send<{ nextCursor: string | null }>(
          owner,
          'GET',
          `/api/v1/usage/errors?${range}&limit=50&cursor=${encodeURIComponent(cursor)}`,
        );
        cursor = next.nextCursor;
      }
      const reads: Array<[string, () => Promise<Response>]> = [
        ['summary by model', get(`/usage/summary?${range}&groupBy=model`)],
        ['summary by agent', get(`/usage/summary?${range}&groupBy=agent`)],
        ['summary by user', get(`/usage/summary?${range}&groupBy=user`)],
        ['summary by API key', get(`/usage/summary?${range}&groupBy=apiKey`)],
        ['timeline by hour (720 buckets)', get(`/usage/timeline?${range}&bucket=hour`)],
        ['timeline by day', get(`/usage/timeline?${range}&bucket=day`)],
        ['timeline by day, one agent', get(`/usage/timeline?${range}&bucket=day&agentId=agt_a1`)],
        ['failed calls, first page', get(`/usage/errors?${range}&limit=50`)],
        [
          'failed calls, page 41',
          get(`/usage/errors?${range}&limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
        ],
      ];
      process.stdout.write(`${'read'.padEnd(34)}${'p50'.padStart(10)}${'max'.padStart(10)}\n`);
      for (const [name, read] of reads) {
        started = performance.now();
        const { p50, max } = await timed(repeat, read);
        process.stdout.write(
          `${name.padEnd(34)}${`${p50.toFixed(1)} ms`.padStart(10)}${`${max.toFixed(1)} ms`.padStart(10)}\n`,
        );
      }
    } finally {
      await server.close();
    }
  });
}
