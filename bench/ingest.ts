/**
 * `npm run bench -- ingest [--seconds 5] [--events 40000] [--clients 32] [--rate 500] [--rate-seconds 10]
 *                          [--postgres postgres://...] [--redis redis://...]`
 *
 * The Sentry-compatible error ingest, on embedded PGlite (in memory) and, when a URL is given or
 * DATABASE_URL / TEST_DATABASE_URL is set, on PostgreSQL too. One server in this process on 127.0.0.1
 * (its grouping worker in process as `npm start` runs it; Redis for the rate windows when given or
 * REDIS_URL / TEST_REDIS_URL is set), one project with a rate limit out of the way.
 *   (a) accepted: `--clients` concurrent clients post envelopes (one ~1.5 KB exception event each,
 *       20 kinds of error, so 20 issues) for `--seconds` or `--events`, whichever ends first:
 *       events/s answered 200, and how long the worker then takes to group what is left;
 *   (b) lag: `--rate` events/s, paced, for `--rate-seconds`: the time from an event's arrival to the
 *       commit of the grouping pass that made it part of its issue, p50 and p99.
 * Prints a table; asserts nothing. Bounded: gives up after 10 minutes.
 */

import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { intOption, percentile, textOption } from './lib/args.ts';
import { withBenchDatabase } from './lib/database.ts';
import { type BenchServer, startBenchServer } from './lib/server.ts';

const LIMIT_MS = 600_000;

/** An envelope holding one exception event of kind `kind` (0..19), about 1.5 KB. */
function envelopeOf(kind: number): string {
  const eventId = randomUUID().replaceAll('-', '');
  const event = {
    event_id: eventId,
    timestamp: Date.now() / 1000,
    platform: 'node',
    level: 'error',
    release: 'bench@1.0.0',
    environment: 'bench',
    user: { id: `user-${Math.floor(Math.random() * 500)}` },
    tags: { route: `/checkout/${kind}`, region: 'eu' },
    exception: {
      values: [
        {
          type: `BenchError${kind}`,
          value: `order ${Math.floor(Math.random() * 1e6)} failed in step ${kind}`,
          stacktrace: {
            frames: [
              {
                module: 'node:internal/process',
                function: 'processTicksAndRejections',
                lineno: 95,
                in_app: false,
              },
              { module: 'shop.server', function: 'handle', lineno: 120, in_app: true },
              { module: 'shop.checkout', function: `step${kind}`, lineno: 40 + kind, in_app: true },
              {
                module: 'shop.payments',
                function: 'charge',
                lineno: 12,
                in_app: true,
                context_line: 'throw err',
              },
            ],
          },
        },
      ],
    },
    breadcrumbs: [
      { timestamp: Date.now() / 1000 - 2, category: 'http', message: 'GET /cart' },
      { timestamp: Date.now() / 1000 - 1, category: 'http', message: 'POST /checkout' },
    ],
    request: { url: 'https://shop.example/checkout', method: 'POST', headers: { 'user-agent': 'bench' } },
  };
  const payload = JSON.stringify(event);
  return `${JSON.stringify({ event_id: eventId, sent_at: new Date().toISOString() })}\n${JSON.stringify({
    type: 'event',
    length: Buffer.byteLength(payload),
  })}\n${payload}\n`;
}

interface Target {
  url: string;
  auth: string;
}

/** Keep-alive connections, at most 64 at once: requests beyond wait in the client, as an SDK's queue does. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function post(target: Target, kind: number): Promise<number> {
  const body = envelopeOf(kind);
  return new Promise((resolve, reject) => {
    const req = http.request(
      target.url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/x-sentry-envelope',
          'content-length': Buffer.byteLength(body),
          'x-sentry-auth': target.auth,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

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
  const deadline = Date.now() + LIMIT_MS;
  const s = await startBenchServer(database, {
    ERRORS_RATE_LIMIT_PER_MINUTE: '1000000',
    ...(redisUrl ? { REDIS_URL: redisUrl, REDIS_PREFIX: `bench${randomUUID().slice(0, 6)}:` } : {}),
  });
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
    // Warm up: the key cache, the connection pool, JIT.
    for (let i = 0; i < 50; i++) await post(target, i % 20);
    await drained(s, deadline);

    // (a) accepted events/s
    let sent = 0;
    let accepted = 0;
    let refused = 0;
    const stopAt = Date.now() + seconds * 1000;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (Date.now() < stopAt && sent < maxEvents) {
          sent++;
          const status = await post(target, sent % 20);
          if (status === 200) accepted++;
          else refused++;
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
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
    const total = rate * rateSeconds;
    const tickMs = 20;
    const perTick = rate / (1000 / tickMs);
    const inflight: Array<Promise<number>> = [];
    const t0 = Date.now();
    let issued = 0;
    while (issued < total) {
      const due = Math.min(total, Math.floor(((Date.now() - t0) / tickMs + 1) * perTick));
      while (issued < due) inflight.push(post(target, issued++ % 20));
      await new Promise((r) => setTimeout(r, tickMs - ((Date.now() - t0) % tickMs)));
    }
    const statuses = await Promise.all(inflight);
    // What the server took in: events over the time until the last answer.
    const achieved = total / ((Date.now() - t0) / 1000);
    await drained(s, deadline);
    while (lags.length < statuses.filter((x) => x === 200).length && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    stop();

    const issues = await s.send<{ items: Array<{ count: number }> }>(
      owner,
      'GET',
      '/api/v1/issues?limit=200',
    );
    return {
      label,
      accepted: `${Math.round(accepted / elapsed)} events/s (${accepted} in ${elapsed.toFixed(1)} s, ${clients} clients${refused ? `, ${refused} refused` : ''})`,
      drain: `${left} waiting at the end, grouped ${Math.round(drainMs)} ms later`,
      lag: `${Math.round(achieved)} events/s offered: p50 ${percentile(lags, 50)} ms, p99 ${percentile(lags, 99)} ms, max ${Math.max(...lags)} ms (${lags.length} events)`,
      issues: `${issues.items.length} issues, ${issues.items.reduce((n, i) => n + i.count, 0)} events grouped`,
    };
  } finally {
    await s.close();
  }
}

export async function main(args: string[]): Promise<void> {
  const postgresUrl =
    textOption(args, 'postgres') ?? process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  const redisUrl = textOption(args, 'redis') ?? process.env.REDIS_URL ?? process.env.TEST_REDIS_URL;
  const results = [];
  results.push(
    await withBenchDatabase(undefined, (db) => measure('PGlite (in memory)', db, args, undefined)),
  );
  if (postgresUrl)
    results.push(
      await withBenchDatabase(postgresUrl, (db) =>
        measure(`PostgreSQL${redisUrl ? ' + Redis' : ''}`, db, args, redisUrl),
      ),
    );
  for (const r of results) {
    process.stdout.write(
      `\n${r.label}\n  accepted: ${r.accepted}\n  backlog:  ${r.drain}\n  lag:      ${r.lag}\n  result:   ${r.issues}\n`,
    );
  }
}
