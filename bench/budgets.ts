/**
 * `npm run bench -- budgets [--calls 2000] [--http 600] [--seconds 5] [--concurrency 16]
 *                           [--burst 200] [--room 20] [--postgres postgres://...]`
 *
 * What budgets add to a model call, with 0, 1 and 4 hard budgets that apply to it, and whether a
 * burst spends past a hard limit. One server in this process on 127.0.0.1 (embedded PGlite in memory,
 * and PostgreSQL when a URL is given or TEST_DATABASE_URL is set), one org per case, the agent on
 * `builtin:scripted` priced at $1,000 per million output tokens so every call costs something.
 *   (a) the gate alone: `admit` (price, budgets that apply, the reservation in one SQL statement) and
 *       settling, `--calls` times per case in sequence, cases interleaved in blocks so a busy moment
 *       of the machine falls on every case alike: p50 and p99, and the p50 added to the 0-budget case;
 *   (b) end to end: non-streaming `POST /v1/chat/completions` with an API key, `--http` requests in
 *       sequence per case (interleaved the same way), then `--concurrency` clients for `--seconds`:
 *       p50 and requests/s per case;
 *   (c) the promise: `--burst` calls at once against a hard budget with room for `--room` of them
 *       (each call's worst case is exactly its real cost, $0.01): how many were admitted, what was
 *       spent once every settlement is written, and the overshoot past the limit.
 * Prints a table; asserts nothing. Bounded: gives up after 10 minutes.
 */

import type { ModelRequest } from '@openai/agents';
import type { Database } from '../server/src/platform/db/index.ts';
import { intOption, percentile } from './lib/args.ts';
import { withBenchDatabase } from './lib/database.ts';
import { type BenchServer, startBenchServer } from './lib/server.ts';

const LIMIT_MS = 600_000;
const BLOCK = 100;
/** $1,000 per million output tokens and a 10-token cap: every call's worst case is $0.01. */
const PRICE = { inputPerMTok: 0, cachedInputPerMTok: 0, outputPerMTok: 1000 };
const CASES = [0, 1, 4] as const;

const ms = (v: number) => `${v.toFixed(3)} ms`;

interface Org {
  budgets: number;
  orgId: string;
  agentId: string;
  agentSlug: string;
  keyId: string;
  key: string;
  owner: Record<string, string>;
}

/** An org with a priced agent, an API key, and `budgets` hard budgets that all apply to its calls. */
async function makeOrg(s: BenchServer, budgets: number, limitUsd: number): Promise<Org> {
  const owner = await s.registerOwner(`Bench ${budgets}`);
  await s.send(owner, 'PUT', '/api/v1/usage/prices/builtin:scripted', PRICE);
  const me = await s.send<{ org: { id: string } }>(owner, 'GET', '/api/v1/auth/me');
  const agent = await s.send<{ id: string; slug: string }>(owner, 'POST', '/api/v1/agents', {
    name: 'Bench agent',
    model: 'builtin:scripted',
    modelSettings: { maxTokens: 10 },
  });
  const { key, apiKey } = await s.send<{ key: string; apiKey: { id: string } }>(
    owner,
    'POST',
    '/api/v1/api-keys',
    { name: 'bench', scopes: ['chat:write', 'agents:read'] },
  );
  // Four scopes a call of this key to this agent falls under: the org (two periods), the agent, the key.
  const all = [
    { scope: 'org', period: 'month' },
    { scope: 'agent', scopeId: agent.id, period: 'week' },
    { scope: 'apiKey', scopeId: apiKey.id, period: 'day' },
    { scope: 'org', period: 'total' },
  ];
  for (const b of all.slice(0, budgets)) {
    await s.send(owner, 'POST', '/api/v1/usage/budgets', { ...b, limitUsd, hard: true, alertAt: [] });
  }
  return {
    budgets,
    orgId: me.org.id,
    agentId: agent.id,
    agentSlug: agent.slug,
    keyId: apiKey.id,
    key,
    owner,
  };
}

/** A small request such as a turn's first model call sends. */
function request(): ModelRequest {
  return {
    systemInstructions: 'Be helpful.',
    input: [{ role: 'user', content: 'How much does this call cost?' }],
    modelSettings: { maxTokens: 10 },
    tools: [],
    outputType: 'text',
    handoffs: [],
    tracing: false,
  };
}

/** `run(org)` `total` times per org, orgs taking turns in blocks; the milliseconds of each, by org. */
async function interleaved(orgs: Org[], total: number, run: (org: Org) => Promise<void>, deadline: number) {
  const times = new Map(orgs.map((o) => [o, [] as number[]]));
  for (let done = 0; done < total && performance.now() < deadline; done += BLOCK) {
    for (const org of orgs) {
      for (let i = 0; i < Math.min(BLOCK, total - done); i++) {
        const started = performance.now();
        await run(org);
        times.get(org)!.push(performance.now() - started);
      }
    }
  }
  return times;
}

function completion(s: BenchServer, org: Org, content: string) {
  return fetch(`${s.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${org.key}` },
    body: JSON.stringify({ model: org.agentSlug, messages: [{ role: 'user', content }] }),
  });
}

async function throughput(s: BenchServer, org: Org, clients: number, seconds: number): Promise<number> {
  let count = 0;
  const until = performance.now() + seconds * 1000;
  const client = async () => {
    while (performance.now() < until) {
      const res = await completion(s, org, '/tokens 3');
      await res.arrayBuffer();
      if (res.ok) count++;
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  return count / seconds;
}

async function burst(s: BenchServer, calls: number, room: number) {
  const org = await makeOrg(s, 0, 1);
  const limitUsd = room * 0.01;
  const budget = await s.send<{ id: string }>(org.owner, 'POST', '/api/v1/usage/budgets', {
    scope: 'org',
    limitUsd,
    period: 'day',
    hard: true,
    alertAt: [],
  });
  const outcomes = await Promise.all(
    Array.from({ length: calls }, async () => {
      const res = await completion(s, org, '/tokens 10');
      await res.arrayBuffer();
      return res.status;
    }),
  );
  // Settlements are written behind the calls: wait until none is held.
  let settled: { spentUsd: number; reservedUsd: number } | undefined;
  for (let i = 0; i < 200 && settled?.reservedUsd !== 0; i++) {
    if (settled) await new Promise((r) => setTimeout(r, 50));
    settled = await s.send(org.owner, 'GET', `/api/v1/usage/budgets/${budget.id}`);
  }
  const spentUsd = settled?.spentUsd ?? Number.NaN;
  return {
    calls,
    room,
    admitted: outcomes.filter((st) => st === 200).length,
    refused: outcomes.filter((st) => st === 429).length,
    other: outcomes.filter((st) => st !== 200 && st !== 429).length,
    limitUsd,
    spentUsd,
    overshootUsd: Math.max(0, Math.round((spentUsd - limitUsd) * 1e6) / 1e6),
  };
}

/** What any read and any write to this database cost right now: the floor under a reservation. */
async function roundTrips(s: BenchServer, count: number) {
  const db = s.ctx.database;
  await db.query('create table bench_floor (id int primary key, n bigint)');
  await db.query('insert into bench_floor values (1, 0)');
  const reads: number[] = [];
  const writes: number[] = [];
  for (let i = 0; i < count; i++) {
    let started = performance.now();
    await db.query('select 1');
    reads.push(performance.now() - started);
    started = performance.now();
    await db.query(
      "with c as (select set_config('synchronous_commit', 'off', true)) update bench_floor set n = n + 1 where id = 1 and exists (select 1 from c)",
    );
    writes.push(performance.now() - started);
  }
  return { read: percentile(reads, 50), write: percentile(writes, 50) };
}

async function scenario(database: Database & { url?: string }, storage: string, args: string[]) {
  const calls = intOption(args, 'calls', 2_000, 100_000);
  const http = intOption(args, 'http', 600, 20_000);
  const seconds = intOption(args, 'seconds', 5, 60);
  const clients = intOption(args, 'concurrency', 16, 256);
  const burstCalls = intOption(args, 'burst', 200, 2_000);
  const room = intOption(args, 'room', 20, 2_000);
  const deadline = performance.now() + LIMIT_MS;
  const s = await startBenchServer(database);
  const say = (line: string) => process.stdout.write(`${line}\n`);
  try {
    // Limits no bench run reaches, so every call is admitted and reserves in every budget.
    const orgs = await Promise.all(CASES.map((n) => makeOrg(s, n, 1_000_000)));
    const gate = s.domains.usage.gate;

    const floor = await roundTrips(s, calls);
    say(`\n${storage}: the gate alone, ${calls} calls per case in sequence`);
    const gateTimes = await interleaved(
      orgs,
      calls,
      async (org) => {
        const settle = await gate
          .gateFor({ orgId: org.orgId, createdBy: org.keyId })
          .admit({ agentId: org.agentId, model: 'builtin:scripted', request: request() });
        settle({
          agentId: org.agentId,
          model: 'builtin:scripted',
          inputTokens: 9,
          outputTokens: 3,
          latencyMs: 1,
          outcome: 'ok',
        });
      },
      deadline,
    );
    say(`${storage}: end to end, ${http} /v1 completions per case in sequence, then ${clients} clients`);
    const httpTimes = await interleaved(
      orgs,
      http,
      async (org) => {
        const res = await completion(s, org, '/tokens 3');
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`completion: ${res.status}`);
      },
      deadline,
    );
    const rates = new Map<Org, number>();
    for (const org of orgs) rates.set(org, await throughput(s, org, clients, seconds));

    const base = percentile(gateTimes.get(orgs[0]!)!, 50);
    const baseHttp = percentile(httpTimes.get(orgs[0]!)!, 50);
    say('\nbudgets  gate p50     gate p99     added p50    /v1 p50     added p50    /v1 req/s');
    for (const org of orgs) {
      const g = gateTimes.get(org)!;
      const h = httpTimes.get(org)!;
      say(
        `${String(org.budgets).padStart(7)}  ${ms(percentile(g, 50)).padStart(11)}  ${ms(percentile(g, 99)).padStart(11)}  ` +
          `${ms(percentile(g, 50) - base).padStart(11)}  ${ms(percentile(h, 50)).padStart(10)}  ` +
          `${ms(percentile(h, 50) - baseHttp).padStart(11)}  ${rates.get(org)!.toFixed(0).padStart(9)}`,
      );
    }

    say(
      `(this machine now: a database round trip p50 ${ms(floor.read)}; a one-row update committed ` +
        `without waiting for the WAL flush, as a reservation is, p50 ${ms(floor.write)})`,
    );

    const b = await burst(s, burstCalls, room);
    say(
      `\n${storage}: ${b.calls} calls at once, a hard budget with room for ${b.room}: admitted ${b.admitted}, ` +
        `refused ${b.refused}${b.other ? `, other ${b.other}` : ''}; spent $${b.spentUsd} of $${b.limitUsd}; ` +
        `overshoot $${b.overshootUsd}`,
    );
  } finally {
    await s.close();
  }
}

export async function main(args: string[]): Promise<void> {
  const i = args.indexOf('--postgres');
  const postgresUrl = i >= 0 ? args[i + 1] : process.env.TEST_DATABASE_URL;
  process.stdout.write(`budgets bench, 127.0.0.1, Node ${process.version}\n`);
  await withBenchDatabase(undefined, (db) => scenario(db, 'PGlite (in memory)', args));
  if (postgresUrl) await withBenchDatabase(postgresUrl, (db) => scenario(db, 'PostgreSQL', args));
  else process.stdout.write('\n(PostgreSQL: pass --postgres <url> or set TEST_DATABASE_URL)\n');
  process.exit(0);
}
