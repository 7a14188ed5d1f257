/**
 * `npm run bench -- ws [--sockets 10000] [--clients 4] [--events 200] [--interval-ms 50]`
 *
 * One server in this process (embedded PGlite in memory), the sockets spread over `--clients` client
 * processes on 127.0.0.1, all subscribed to one org's dashboard. Publishes an event on the org's topic
 * every `--interval-ms` (on a fixed schedule: a slow fan-out is not given more time) and reports
 * publish-to-delivery latency (p50/p90/p99/max over every delivery), the server's fan-out (the time
 * publish() takes: without Redis the bus dispatches inside it), also per 1,000 sends, sockets the
 * server dropped as slow consumers (4008), and the server's memory per socket (RSS and heap after GC,
 * before and after connecting). Bounded: at most 300 s.
 */

import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { intOption, percentile } from './lib/args.ts';
import { nextMessage } from './lib/child.ts';
import { withBenchDatabase } from './lib/database.ts';
import { startBenchServer } from './lib/server.ts';
import { HISTOGRAM_BUCKETS, histogramPercentile, mergeHistogram } from './lib/ws-histogram.ts';

const LIMIT_MS = 300_000;

interface Result {
  type: 'result';
  expected: number;
  received: number;
  max: number;
  histogram: number[];
  closes: Array<[number, number]>;
  /** CPU time the client process spent while events came (user + system). */
  cpuMs: number;
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function settledMemory(): NodeJS.MemoryUsage {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage();
}

const fmt = (ms: number) => `${ms.toFixed(2)} ms`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export async function main(args: string[]): Promise<void> {
  const sockets = intOption(args, 'sockets', 10_000, 20_000);
  const clients = intOption(args, 'clients', Math.min(8, Math.ceil(sockets / 2_500)), 16);
  const events = intOption(args, 'events', 200, 10_000);
  const intervalMs = intOption(args, 'interval-ms', 50, 1_000);
  const deadline = setTimeout(() => {
    process.stderr.write(`bench ws: gave up after ${LIMIT_MS / 1000} s\n`);
    process.exit(1);
  }, LIMIT_MS);
  deadline.unref();

  await withBenchDatabase(undefined, async (database) => {
    const server = await startBenchServer(
      database,
      {
        WS_MAX_CONNECTIONS_PER_USER: String(sockets + 10),
        WS_MAX_CONNECTIONS_PER_ORG: String(sockets + 10),
        DASHBOARD_INTERVAL_MS: '3600000',
        WS_HEARTBEAT_MS: '3600000',
      },
      { logStream: process.stderr },
    );
    const { ctx, domains } = server;
    const children = Array.from({ length: clients }, () =>
      fork(fileURLToPath(new URL('./lib/ws-clients.ts', import.meta.url)), [], { stdio: 'inherit' }),
    );
    try {
      const headers = await server.registerOwner();
      const me = await server.send<{ org: { id: string } }>(headers, 'GET', '/api/v1/auth/me');
      const owner = { accessToken: headers.authorization!.slice('Bearer '.length) };
      const orgId = me.org.id;
      const base = server.url;

      const before = settledMemory();
      const share = (i: number) => Math.floor(sockets / clients) + (i < sockets % clients ? 1 : 0);
      const readies = children.map((child, i) => {
        const ready = nextMessage<{ type: 'ready'; connectMs: number }>(child, 'ready');
        child.send({
          url: `${base.replace('http', 'ws')}/api/v1/ws`,
          token: owner.accessToken,
          sockets: share(i),
          events,
          timeoutMs: LIMIT_MS / 2,
        });
        return ready;
      });
      const connectMs = Math.max(...(await Promise.all(readies)).map((r) => r.connectMs));
      await sleep(500);
      const after = settledMemory();
      const connected = domains.realtime.local().sockets;

      const results = children.map((child) => nextMessage<Result>(child, 'result'));
      // Without Redis the bus dispatches inside publish(), so its duration is the server's fan-out.
      const fanout: number[] = [];
      const cpuBefore = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < events; i++) {
        const wait = t0 + i * intervalMs - performance.now();
        if (wait > 0) await sleep(wait);
        const started = process.hrtime.bigint();
        await ctx.bus.publish({
          topic: `org:${orgId}`,
          type: 'task.created',
          orgId,
          data: { i, t: `${started}` },
        });
        fanout.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
      const serverCpu = process.cpuUsage(cpuBefore);
      const publishing = performance.now() - t0;
      const all = await Promise.all(results);
      const histogram = new Array<number>(HISTOGRAM_BUCKETS).fill(0);
      for (const r of all) mergeHistogram(histogram, r.histogram);
      const sum = (f: (r: Result) => number) => all.reduce((n, r) => n + f(r), 0);
      const closes = new Map<number, number>();
      for (const r of all) for (const [code, n] of r.closes) closes.set(code, (closes.get(code) ?? 0) + n);
      const at = (p: number) => histogramPercentile(histogram, p);
      const per1000 = (ms: number) => fmt((ms * 1000) / connected);
      const rss = after.rss - before.rss;
      const heap = after.heapUsed - before.heapUsed;
      process.stdout.write(
        [
          `ws bench: ${sockets} sockets over ${clients} client processes subscribed to one org's dashboard on ` +
            `127.0.0.1, ${events} events one every ${intervalMs} ms (Node ${process.version})`,
          `  connected and subscribed: ${connected} sockets in ${fmt(connectMs)}`,
          `  delivered: ${sum((r) => r.received)} of ${sum((r) => r.expected)}; ` +
            `closed by the server meanwhile: ${closes.size ? [...closes].map(([c, n]) => `${n} (${c})`).join(', ') : 'none'}`,
          `  publish -> delivery: p50 ${fmt(at(50))}, p90 ${fmt(at(90))}, p99 ${fmt(at(99))}, max ${fmt(Math.max(...all.map((r) => r.max)))}`,
          `  server fan-out per event (${connected} sends): p50 ${fmt(percentile(fanout, 50))}, p99 ${fmt(percentile(fanout, 99))}` +
            ` = per 1,000 sends p50 ${per1000(percentile(fanout, 50))}, p99 ${per1000(percentile(fanout, 99))}`,
          `  CPU while publishing (${(publishing / 1000).toFixed(1)} s on ${availableParallelism()} cores = ` +
            `${((availableParallelism() * publishing) / 1000).toFixed(1)} s): ` +
            `server ${((serverCpu.user + serverCpu.system) / 1e6).toFixed(1)} s, ` +
            `client processes ${(sum((r) => r.cpuMs) / 1000).toFixed(1)} s (until each had every event)`,
          `  server memory per socket: RSS ${kib(rss / sockets)}, heap ${kib(heap / sockets)} ` +
            `(RSS +${mib(rss)}, heap +${mib(heap)} for ${sockets} sockets)`,
          '',
        ].join('\n'),
      );
    } finally {
      for (const child of children) child.kill();
      await server.close();
    }
  });
  clearTimeout(deadline);
}
