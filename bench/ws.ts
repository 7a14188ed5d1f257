/**
 * `npm run bench -- ws [--sockets 1000] [--events 200] [--interval-ms 5]`
 *
 * One server in this process (embedded PGlite in memory), the sockets in a child process on
 * 127.0.0.1, all subscribed to one org's dashboard. Publishes events on the org's topic and reports
 * publish-to-delivery latency (p50/p90/p99/max over every delivery) and the server's memory per socket
 * (RSS and heap after GC, before and after connecting). Bounded: at most 120 s.
 */

import { fork } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { intOption } from './lib/args.ts';
import { nextMessage } from './lib/child.ts';
import { withBenchDatabase } from './lib/database.ts';
import { startBenchServer } from './lib/server.ts';

const LIMIT_MS = 120_000;

interface Result {
  type: 'result';
  expected: number;
  received: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
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
  const sockets = intOption(args, 'sockets', 1_000, 5_000);
  const events = intOption(args, 'events', 200, 10_000);
  const intervalMs = intOption(args, 'interval-ms', 5, 1_000);
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
    const child = fork(fileURLToPath(new URL('./lib/ws-clients.ts', import.meta.url)), [], {
      stdio: 'inherit',
    });
    try {
      const headers = await server.registerOwner();
      const me = await server.send<{ org: { id: string } }>(headers, 'GET', '/api/v1/auth/me');
      const owner = { accessToken: headers.authorization!.slice('Bearer '.length) };
      const orgId = me.org.id;
      const base = server.url;

      const before = settledMemory();
      const ready = nextMessage<{ type: 'ready'; connectMs: number }>(child, 'ready');
      child.send({
        url: `${base.replace('http', 'ws')}/api/v1/ws`,
        token: owner.accessToken,
        sockets,
        events,
        timeoutMs: LIMIT_MS / 2,
      });
      const { connectMs } = await ready;
      await sleep(500);
      const after = settledMemory();
      const connected = domains.realtime.local().sockets;

      const result = nextMessage<Result>(child, 'result');
      // Without Redis the bus dispatches inside publish(), so its duration is the server's fan-out.
      const fanout: number[] = [];
      for (let i = 0; i < events; i++) {
        const started = process.hrtime.bigint();
        await ctx.bus.publish({
          topic: `org:${orgId}`,
          type: 'task.created',
          orgId,
          data: { i, t: `${started}` },
        });
        fanout.push(Number(process.hrtime.bigint() - started) / 1e6);
        await sleep(intervalMs);
      }
      fanout.sort((x, y) => x - y);
      const at = (p: number) => fanout[Math.min(fanout.length - 1, Math.floor((p / 100) * fanout.length))]!;
      const r = await result;
      const rss = after.rss - before.rss;
      const heap = after.heapUsed - before.heapUsed;
      process.stdout.write(
        [
          `ws bench: ${sockets} sockets subscribed to one org's dashboard on 127.0.0.1, ` +
            `${events} events one every ${intervalMs} ms (Node ${process.version})`,
          `  connected and subscribed: ${connected} sockets in ${fmt(connectMs)}`,
          `  delivered: ${r.received} of ${r.expected}`,
          `  publish -> delivery: p50 ${fmt(r.p50)}, p90 ${fmt(r.p90)}, p99 ${fmt(r.p99)}, max ${fmt(r.max)}`,
          `  server fan-out per event (${sockets} sends): p50 ${fmt(at(50))}, p99 ${fmt(at(99))}`,
          `  server memory per socket: RSS ${kib(rss / sockets)}, heap ${kib(heap / sockets)} ` +
            `(RSS +${mib(rss)}, heap +${mib(heap)} for ${sockets} sockets)`,
          '',
        ].join('\n'),
      );
    } finally {
      child.kill();
      await server.close();
    }
  });
  clearTimeout(deadline);
}
