/**
 * The client side of `bench/ingest.ts`, in its own process as SDKs are: the server's event loop and CPU
 * figures are then its own, not shared with the code that makes and sends the envelopes. Told what to
 * send over IPC, one command at a time; answers each with a message of the command's type + `-done`.
 * The burst goes through autocannon (raw keep-alive sockets: it spends about a third of the CPU per
 * request that node:http's client does, CPU the server would otherwise not get on a small machine);
 * the paced phase sends with node:http, as it must not wait for answers before sending on.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { createRequire } from 'node:module';

interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  statusCodeStats: Record<string, { count: number }>;
}
type Autocannon = (opts: {
  url: string;
  method: 'POST';
  connections: number;
  duration: number;
  maxOverallRequests: number;
  headers: Record<string, string>;
  requests: Array<{ setupRequest(request: { body?: string }): { body?: string } }>;
}) => Promise<AutocannonResult>;
// autocannon ships no types; this is the part of its API used here.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export interface Target {
  url: string;
  auth: string;
}

export type ClientCommand =
  | { type: 'warm'; target: Target; events: number }
  | { type: 'burst'; target: Target; seconds: number; maxEvents: number; clients: number }
  | { type: 'paced'; target: Target; rate: number; seconds: number };

export interface BurstResult {
  type: 'burst-done';
  accepted: number;
  refused: number;
  elapsedMs: number;
}

export interface PacedResult {
  type: 'paced-done';
  accepted: number;
  refused: number;
  /** Events per second offered, over the time until the last answer. */
  achieved: number;
}

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

/** Keep-alive connections, at most 64 at once: requests beyond wait in the client, as an SDK's queue does. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** Posts one envelope; answers its status. Bounded so a stuck server cannot hang the bench. */
function post(target: Target, kind: number): Promise<number> {
  const body = envelopeOf(kind);
  return new Promise((resolve, reject) => {
    const req = http.request(
      target.url,
      {
        method: 'POST',
        agent,
        timeout: 60_000,
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
    req.on('timeout', () => req.destroy(new Error('no answer within 60 s')));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * `clients` connections posting one envelope after another (a new event each time), for `seconds` or
 * `maxEvents`, whichever ends first.
 */
async function burst(c: Extract<ClientCommand, { type: 'burst' }>): Promise<BurstResult> {
  let sent = 0;
  const started = performance.now();
  const result = await autocannon({
    url: c.target.url,
    method: 'POST',
    connections: c.clients,
    duration: c.seconds,
    maxOverallRequests: c.maxEvents,
    headers: { 'content-type': 'application/x-sentry-envelope', 'x-sentry-auth': c.target.auth },
    requests: [{ setupRequest: (request) => ({ ...request, body: envelopeOf(sent++ % 20) }) }],
  });
  const elapsedMs = performance.now() - started;
  const counts = Object.entries(result.statusCodeStats);
  const accepted = counts.reduce((n, [status, s]) => n + (status === '200' ? Number(s.count) : 0), 0);
  const answered = counts.reduce((n, [, s]) => n + Number(s.count), 0);
  return { type: 'burst-done', accepted, refused: answered - accepted + result.errors, elapsedMs };
}

/** `rate` events/s for `seconds`, sent in ticks of 20 ms without waiting for answers. */
async function paced(c: Extract<ClientCommand, { type: 'paced' }>): Promise<PacedResult> {
  const total = c.rate * c.seconds;
  const tickMs = 20;
  const perTick = c.rate / (1000 / tickMs);
  const inflight: Array<Promise<number>> = [];
  const t0 = Date.now();
  let issued = 0;
  while (issued < total) {
    const due = Math.min(total, Math.floor(((Date.now() - t0) / tickMs + 1) * perTick));
    while (issued < due) inflight.push(post(c.target, issued++ % 20));
    await new Promise((r) => setTimeout(r, tickMs - ((Date.now() - t0) % tickMs)));
  }
  const statuses = await Promise.all(inflight);
  const achieved = total / ((Date.now() - t0) / 1000);
  const accepted = statuses.filter((s) => s === 200).length;
  return { type: 'paced-done', accepted, refused: total - accepted, achieved };
}

async function run(c: ClientCommand): Promise<unknown> {
  if (c.type === 'warm') {
    for (let i = 0; i < c.events; i++) await post(c.target, i % 20);
    return { type: 'warm-done' };
  }
  return c.type === 'burst' ? burst(c) : paced(c);
}

process.on('message', (message) => {
  run(message as ClientCommand).then(
    (result) => process.send?.(result),
    (err: unknown) =>
      process.send?.({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
