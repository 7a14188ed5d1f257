/**
 * `npm run bench -- chat [--duration 10] [--connections 10,50] [--sequential 1000] [--tokens 1000]
 *                        [--streams 5] [--pace-ms 2] [--postgres postgres://...] [--redis redis://...]`
 *
 * The OpenAI-compatible surface through Switchboard against the same mock upstream straight, same
 * run, on 127.0.0.1. One Switchboard server in this process (embedded PGlite in memory, or
 * PostgreSQL with --postgres; with --redis too, rate limits, caches' invalidation and events go
 * through Redis, as replicas run) with an org, an API key and an agent on `openai:bench-model`; the mock
 * OpenAI server (server/test/kit/mock-openai.ts) in a child process of its own (bench/lib/mock-upstream.ts),
 * as a real upstream is, and every client in another (bench/lib/chat-client.ts): both targets see the
 * same client, and both cross a process boundary to reach the model.
 *   (a) non-streaming `POST /v1/chat/completions`: one client in sequence (exact per-request latency,
 *       and where a request's time goes, read back from the run log), beside a bare relay in a
 *       process of its own (bench/lib/bare-relay.ts: what the extra hop alone costs on this
 *       machine, so Switchboard's own share can be told from it), then autocannon at each of
 *       `--connections` for `--duration` seconds against the upstream straight, the bare relay and
 *       Switchboard (credential: an API key): requests/s, p50, p99, the added p50, and Switchboard's
 *       requests/s as a share of the bare relay's;
 *   (b) a `--tokens` word stream (`stream: true`), `--streams` times each: time to first token and
 *       tokens/s (first to last token), with the upstream unpaced (as fast as it can write) and
 *       paced (`--pace-ms` between chunks, default 2 ms: a few hundred tokens/s, a fast model).
 * Prints a table; asserts nothing. Bounded: gives up after 10 minutes.
 */

import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Database } from '../server/src/platform/db/index.ts';
import { intListOption, intOption, percentile, textOption } from './lib/args.ts';
import type { Command, LoadFigures, Sent, StreamFigures, Target } from './lib/chat-client.ts';
import { nextMessage } from './lib/child.ts';
import { withBenchDatabase } from './lib/database.ts';
import { json, startBenchServer } from './lib/server.ts';

const LIMIT_MS = 600_000;

const median = (values: number[]) => percentile(values, 50);
const ms = (v: number) => `${v.toFixed(2)} ms`;

type Child = ReturnType<typeof fork>;

async function ask<T>(child: Child, command: Command): Promise<T> {
  const answer = nextMessage<{ result: T }>(child, 'result');
  child.send(command);
  return (await answer).result;
}

export async function main(args: string[]): Promise<void> {
  const duration = intOption(args, 'duration', 10, 120, 0);
  const connections = intListOption(args, 'connections', [10, 50], 500);
  const sequential = intOption(args, 'sequential', 1_000, 20_000, 0);
  const tokens = intOption(args, 'tokens', 1_000, 100_000, 0);
  const streams = intOption(args, 'streams', 5, 100, 0);
  const paceMs = intOption(args, 'pace-ms', 2, 1_000, 0);
  const postgresUrl = textOption(args, 'postgres');
  const redisUrl = textOption(args, 'redis');
  const deadline = setTimeout(() => {
    process.stderr.write(`bench chat: gave up after ${LIMIT_MS / 1000} s\n`);
    process.exit(1);
  }, LIMIT_MS);
  deadline.unref();

  const upstream = fork(fileURLToPath(new URL('./lib/mock-upstream.ts', import.meta.url)), [], {
    stdio: 'inherit',
  });
  const { url: mockUrl } = await nextMessage<{ url: string }>(upstream, 'ready');
  const relay = fork(fileURLToPath(new URL('./lib/bare-relay.ts', import.meta.url)), [mockUrl], {
    stdio: 'inherit',
  });
  const { url: relayUrl } = await nextMessage<{ url: string }>(relay, 'ready');
  const child = fork(fileURLToPath(new URL('./lib/chat-client.ts', import.meta.url)), [mockUrl], {
    stdio: 'inherit',
  });
  try {
    await nextMessage(child, 'ready');
    await withBenchDatabase(postgresUrl, (database) =>
      measure(database, child, mockUrl, relayUrl, {
        duration,
        connections,
        sequential,
        tokens,
        streams,
        paceMs,
        postgres: !!postgresUrl,
        redisUrl,
      }),
    );
  } finally {
    child.kill();
    relay.kill();
    upstream.kill();
    clearTimeout(deadline);
  }
  process.exit(0);
}

async function measure(
  database: Database & { url?: string },
  child: Child,
  mockUrl: string,
  relayUrl: string,
  o: {
    duration: number;
    connections: number[];
    sequential: number;
    tokens: number;
    streams: number;
    paceMs: number;
    postgres: boolean;
    redisUrl: string | undefined;
  },
): Promise<void> {
  const s = await startBenchServer(
    database,
    {
      OPENAI_API_KEY: 'sk-bench',
      OPENAI_BASE_URL: mockUrl,
      ...(o.redisUrl
        ? { REDIS_URL: o.redisUrl, REDIS_PREFIX: `sbbench:${randomBytes(4).toString('hex')}:` }
        : {}),
    },
    { logStream: process.stderr },
  );
  const { ctx, url: base } = s;
  const say = (line: string) => process.stdout.write(`${line}\n`);
  try {
    const auth = await s.registerOwner();
    const { key } = await json<{ key: string }>(
      await fetch(`${base}/api/v1/api-keys`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ name: 'bench', scopes: ['chat:write', 'agents:read'] }),
      }),
    );
    const agent = await json<{ id: string; slug: string }>(
      await fetch(`${base}/api/v1/agents`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ name: 'Bench agent', model: 'openai:bench-model' }),
      }),
    );
    const through: Target = {
      name: 'switchboard',
      url: `${base}/v1`,
      headers: { authorization: `Bearer ${key}` },
      model: agent.slug,
    };
    const direct: Target = {
      name: 'mock',
      url: mockUrl,
      headers: { authorization: 'Bearer sk-bench' },
      model: 'bench-model',
    };
    const relay: Target = { name: 'relay', url: relayUrl, headers: {}, model: 'bench-model' };
    const storage = `${o.postgres ? 'PostgreSQL' : 'PGlite (in memory)'}${o.redisUrl ? ' + Redis' : ''}`;
    say(
      `chat bench: Switchboard (${storage}) vs the mock upstream straight, 127.0.0.1, Node ${process.version}`,
    );

    /** Requests a load run left behind are cancelled; their runs end before the next phase. */
    const drain = async () => {
      for (let waited = 0; waited < 120_000; waited += 200) {
        const { rows } = await ctx.database.query<{ n: number }>(
          `select count(*)::int as n from runs where status in ('queued', 'running')`,
        );
        if (rows[0]?.n === 0) return;
        await new Promise((r) => setTimeout(r, 200));
      }
    };

    // Warm both paths (JIT, connection pools, the agent's model client).
    await ask(child, { cmd: 'sequential', targets: [relay, direct, through], count: 30 });
    // (a1) one client in sequence: what one request costs, without queueing; and the server's CPU
    // time per request, writing its run's record included (most of that is off the request's path).
    const cpuBefore = process.cpuUsage();
    const [seqRelay, seqDirect, seqThrough] = await ask<Sent[][]>(child, {
      cmd: 'sequential',
      targets: [relay, direct, through],
      count: o.sequential,
    });
    const cpu = process.cpuUsage(cpuBefore);
    const cpuPerRequest = (cpu.user + cpu.system) / 1000 / o.sequential;
    const phase = await phases(ctx.database, agent.id, seqThrough!);
    // (a2) autocannon at each of `connections`, each target for `duration` seconds.
    const load = (target: Target, connections: number) =>
      ask<LoadFigures>(child, { cmd: 'load', target, connections, duration: o.duration });
    const loads: Array<{
      connections: number;
      direct: LoadFigures;
      relay: LoadFigures;
      through: LoadFigures;
      /** Switchboard's process CPU per request under this load, its records' writing included. */
      cpuPerLoadedRequest: number;
    }> = [];
    for (const connections of o.connections) {
      const loadDirect = await load(direct, connections);
      const loadRelay = await load(relay, connections);
      const cpuAtLoad = process.cpuUsage();
      const loadThrough = await load(through, connections);
      await drain();
      const { user, system } = process.cpuUsage(cpuAtLoad);
      const requests = loadThrough.requestsPerSecond * o.duration;
      loads.push({
        connections,
        direct: loadDirect,
        relay: loadRelay,
        through: loadThrough,
        cpuPerLoadedRequest: (user + system) / 1000 / requests,
      });
    }
    // (b) streams of `tokens` words, unpaced and paced.
    const streaming = (paceMs: number) =>
      ask<StreamFigures[][]>(child, {
        cmd: 'streams',
        targets: [direct, through],
        count: o.streams,
        tokens: o.tokens,
        paceMs,
      });
    const unpaced = await streaming(0);
    const paced = o.paceMs ? await streaming(o.paceMs) : undefined;

    const w = [48, 14, 14, 14];
    const row = (cells: string[]) =>
      say(cells.map((c, n) => (n === 0 ? c.padEnd(w[n]!) : c.padStart(w[n]!))).join('  '));
    const took = (s: Sent[]) => s.map((x) => x.took);
    const d = took(seqDirect!);
    const t = took(seqThrough!);
    say('');
    say('(a) non-streaming POST /v1/chat/completions');
    row(['', 'mock straight', 'switchboard', 'added']);
    row([
      `1 client, ${o.sequential} in sequence: p50`,
      ms(median(d)),
      ms(median(t)),
      ms(median(t) - median(d)),
    ]);
    row(['                             p99', ms(percentile(d, 99)), ms(percentile(t, 99)), '']);
    const r = took(seqRelay!);
    row(['  a bare relay instead (the hop alone): p50', '', ms(median(r)), ms(median(r) - median(d))]);
    row(['  switchboard over the bare relay: p50', '', '', ms(median(t) - median(r))]);
    row(['  switchboard CPU per request (its record incl.)', '', ms(cpuPerRequest), '']);
    for (const {
      connections,
      direct: loadDirect,
      relay: loadRelay,
      through: loadThrough,
      cpuPerLoadedRequest,
    } of loads) {
      row([`${connections} connections, ${o.duration} s:`, 'mock straight', 'bare relay', 'switchboard']);
      row([
        '                       req/s',
        loadDirect.requestsPerSecond.toFixed(0),
        loadRelay.requestsPerSecond.toFixed(0),
        `${loadThrough.requestsPerSecond.toFixed(0)} (${((100 * loadThrough.requestsPerSecond) / loadRelay.requestsPerSecond).toFixed(0)} % of the relay)`,
      ]);
      row(['                       p50', ms(loadDirect.p50), ms(loadRelay.p50), ms(loadThrough.p50)]);
      row(['                       p99', ms(loadDirect.p99), ms(loadRelay.p99), ms(loadThrough.p99)]);
      row([
        '                       non-2xx / errors',
        `${loadDirect.non2xx} / ${loadDirect.errors}`,
        `${loadRelay.non2xx} / ${loadRelay.errors}`,
        `${loadThrough.non2xx} / ${loadThrough.errors}`,
      ]);
      row(['                       CPU per request (all threads)', '', '', ms(cpuPerLoadedRequest)]);
    }
    if (phase) say(`  one sequential request, p50 per phase (run log timestamps, 1 ms clock): ${phase}`);
    say('');
    say(`(b) a ${o.tokens}-token stream, median of ${o.streams}`);
    row(['', 'mock straight', 'switchboard', 'relay']);
    const streamRows = (label: string, s: StreamFigures[][]) => {
      const [sd, st] = s as [StreamFigures[], StreamFigures[]];
      const of = (list: StreamFigures[], pick: (x: StreamFigures) => number) => median(list.map(pick));
      const [dFirst, tFirst] = [of(sd, (x) => x.ttft), of(st, (x) => x.ttft)];
      const [dLast, tLast] = [of(sd, (x) => x.total), of(st, (x) => x.total)];
      const [dRate, tRate] = [of(sd, (x) => x.tokensPerSecond), of(st, (x) => x.tokensPerSecond)];
      const whole = (x: StreamFigures) => x.tokens / (x.total / 1000);
      const [dWhole, tWhole] = [of(sd, whole), of(st, whole)];
      const share = (a: number, b: number) => `${((b / a) * 100).toFixed(0)} %`;
      say(`  ${label}`);
      row(['    time to first token', ms(dFirst), ms(tFirst), `+${ms(tFirst - dFirst)}`]);
      row(['    time to last token', ms(dLast), ms(tLast), `+${ms(tLast - dLast)}`]);
      row(['    tokens/s, first to last token', dRate.toFixed(0), tRate.toFixed(0), share(dRate, tRate)]);
      row(['    tokens/s, whole stream', dWhole.toFixed(0), tWhole.toFixed(0), share(dWhole, tWhole)]);
      const short = st.filter((x) => x.tokens !== o.tokens).length;
      if (short) say(`    ${short} relayed stream(s) did not carry ${o.tokens} tokens`);
    };
    streamRows('upstream unpaced (writes its chunks as fast as it can)', unpaced);
    if (paced) streamRows(`upstream paced, ${o.paceMs} ms between chunks (a fast model)`, paced);
    say('');
    say('targets (issue 4): added p50 < 2 ms non-streaming; relay >= 90 % of upstream tokens/s');
    say("targets (issue 14): at 10 and 50 connections, Switchboard >= 50 % of the bare relay's req/s");
  } finally {
    await s.close();
  }
}

/**
 * Where one request's time went (p50 of each phase), from the run log's timestamps (1 ms clock). A
 * completion that ran in its request has no first-token event (the model was asked for a whole
 * response); one that went through the queue has all five.
 */
async function phases(database: Database, agentId: string, sent: Sent[]) {
  const { rows } = await database.query<{ run_id: string; type: string; at: Date }>(
    `select e.run_id, e.type, e.created_at as at from run_events e join runs r on r.id = e.run_id
      where r.agent_id = $1 and e.type in ('run.queued', 'run.started', 'message.delta', 'run.completed')
      order by e.run_id, e.seq`,
    [agentId],
  );
  const timeline = new Map<string, Record<string, number>>();
  for (const row of rows) {
    const t = timeline.get(row.run_id) ?? {};
    t[row.type] ??= new Date(row.at).getTime();
    timeline.set(row.run_id, t);
  }
  const spans = new Map<string, number[]>();
  const add = (label: string, from: number | undefined, to: number | undefined) => {
    if (from === undefined || to === undefined) return;
    spans.set(label, [...(spans.get(label) ?? []), to - from]);
  };
  for (const r of sent) {
    const t = timeline.get(r.id.slice('chatcmpl-'.length));
    if (!t) continue;
    const delta = t['message.delta'];
    add('request -> run created', r.sentAt, t['run.queued']);
    add('-> turn started', t['run.queued'], t['run.started']);
    add(
      delta ? '-> first token stored' : '-> model answered, turn done',
      t['run.started'],
      delta ?? t['run.completed'],
    );
    if (delta) add('-> run.completed stored', delta, t['run.completed']);
    add('-> reply received', t['run.completed'], r.doneAt);
  }
  return [...spans].map(([label, values]) => `${label} ${ms(median(values))}`).join(', ') || undefined;
}
