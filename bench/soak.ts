/**
 * `npm run bench -- soak [--minutes 10] [--chat 4] [--runs 4] [--sockets 200] [--every 30]
 *                        [--postgres postgres://...]`
 *
 * The chat, runs and WebSocket loads together on one server for a bounded time, to see whether memory
 * keeps growing once warm. One server in this process on 127.0.0.1 (embedded PGlite in a temporary data directory, or
 * PostgreSQL with --postgres), its agent on `builtin:scripted`; the clients in a child process
 * (bench/lib/soak-clients.ts): `--chat` clients sending non-streaming /v1 completions with an API key
 * one after another, `--runs` clients each submitting a background run and following it to its end on
 * a socket, and `--sockets` sockets on the org's dashboard. Every `--every` seconds it prints the
 * server's RSS, heap used (after a full GC) and external memory, and what the loads did since the
 * last line; at the end, the slope of each over the samples after the first third (the warm-up), in
 * MB per minute. Asserts nothing. Bounded by `--minutes` (at most 240).
 */

import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { intOption } from './lib/args.ts';
import { withBenchDatabase } from './lib/database.ts';
import { startBenchServer } from './lib/server.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MB = 1024 * 1024;

interface Sample {
  minute: number;
  rss: number;
  heap: number;
  external: number;
}

interface Counts {
  chat: number;
  chatFailed: number;
  runs: number;
  runsFailed: number;
  socketMessages: number;
  socketsOpen: number;
}

/** Least-squares slope of `y` over `minute`, in the unit of `y` per minute. */
function slope(samples: Sample[], y: (s: Sample) => number): number {
  const n = samples.length;
  if (n < 2) return Number.NaN;
  const mx = samples.reduce((a, s) => a + s.minute, 0) / n;
  const my = samples.reduce((a, s) => a + y(s), 0) / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.minute - mx) * (y(s) - my);
    den += (s.minute - mx) ** 2;
  }
  return num / den;
}

function nextMessage<T>(child: ReturnType<typeof fork>, type: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: unknown) => {
      if ((m as { type: string }).type !== type) return;
      child.off('message', on);
      resolve(m as T);
    };
    child.on('message', on);
  });
}

export async function main(args: string[]): Promise<void> {
  const minutes = intOption(args, 'minutes', 10, 240, 0);
  const chat = intOption(args, 'chat', 4, 64, 0);
  const runs = intOption(args, 'runs', 4, 64, 0);
  const sockets = intOption(args, 'sockets', 200, 5000, 0);
  const every = Math.max(1, intOption(args, 'every', 30, 600, 0));
  const i = args.indexOf('--postgres');
  const postgresUrl = i >= 0 ? args[i + 1] : undefined;

  await withBenchDatabase(
    postgresUrl,
    async (database) => {
      const server = await startBenchServer(database, {
        ACCESS_TOKEN_TTL_SECONDS: String(minutes * 60 + 600),
        WS_MAX_CONNECTIONS_PER_USER: String(sockets + runs + 10),
        WS_MAX_CONNECTIONS_PER_ORG: String(sockets + runs + 10),
        CHAT_MAX_STREAMS_PER_USER: String(chat + 10),
      });
      const child = fork(fileURLToPath(new URL('./lib/soak-clients.ts', import.meta.url)), [], {
        stdio: 'inherit',
      });
      try {
        const owner = await server.registerOwner('Soak');
        const agent = await server.send<{ id: string; slug: string }>(owner, 'POST', '/api/v1/agents', {
          name: 'Soak agent',
          model: 'builtin:scripted',
        });
        const { key } = await server.send<{ key: string }>(owner, 'POST', '/api/v1/api-keys', {
          name: 'soak',
          scopes: ['chat:write', 'agents:read'],
        });
        child.send({
          type: 'start',
          base: server.url,
          token: owner.authorization!.slice('Bearer '.length),
          apiKey: key,
          agentSlug: agent.slug,
          agentId: agent.id,
          chat,
          runs,
          sockets,
        });
        process.stdout.write(
          `soak: ${minutes} min on ${database.kind}; ${chat} chat clients, ${runs} run clients, ` +
            `${sockets} dashboard sockets (Node ${process.version})\n` +
            `${'min'.padStart(5)}${'rss'.padStart(9)}${'heap'.padStart(9)}${'external'.padStart(10)}` +
            `${'chat/s'.padStart(9)}${'runs/s'.padStart(9)}${'ws msg/s'.padStart(10)}${'sockets'.padStart(9)}${'failed'.padStart(8)}\n`,
        );
        const samples: Sample[] = [];
        const started = performance.now();
        let last: Counts = {
          chat: 0,
          chatFailed: 0,
          runs: 0,
          runsFailed: 0,
          socketMessages: 0,
          socketsOpen: 0,
        };
        while (performance.now() - started < minutes * 60_000) {
          await new Promise((resolve) => setTimeout(resolve, every * 1000));
          const asked = nextMessage<Counts>(child, 'counts');
          child.send({ type: 'counts' });
          const now = await asked;
          gc();
          const m = process.memoryUsage();
          const sample = {
            minute: (performance.now() - started) / 60_000,
            rss: m.rss / MB,
            heap: m.heapUsed / MB,
            external: m.external / MB,
          };
          samples.push(sample);
          const rate = (k: keyof Counts) => ((now[k] - last[k]) / every).toFixed(0);
          const failed = now.chatFailed - last.chatFailed + now.runsFailed - last.runsFailed;
          process.stdout.write(
            `${sample.minute.toFixed(1).padStart(5)}${sample.rss.toFixed(0).padStart(9)}${sample.heap.toFixed(0).padStart(9)}` +
              `${sample.external.toFixed(0).padStart(10)}${rate('chat').padStart(9)}${rate('runs').padStart(9)}` +
              `${rate('socketMessages').padStart(10)}${String(now.socketsOpen).padStart(9)}${String(failed).padStart(8)}\n`,
          );
          last = now;
        }
        const stopped = nextMessage<Counts>(child, 'stopped');
        child.send({ type: 'stop' });
        const total = await stopped;
        const warm = samples.slice(Math.floor(samples.length / 3));
        const fmt = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(2)} MB/min`;
        process.stdout.write(
          `\nmemory (MB) and loads every ${every} s; figures after a full GC\n` +
            `slope once warm (last ${warm.length} samples): RSS ${fmt(slope(warm, (s) => s.rss))}, ` +
            `heap ${fmt(slope(warm, (s) => s.heap))}, external ${fmt(slope(warm, (s) => s.external))}\n` +
            `totals: ${total.chat} completions (${total.chatFailed} failed), ${total.runs} runs ` +
            `(${total.runsFailed} failed or over 30 s), ${total.socketMessages} socket messages\n`,
        );
      } finally {
        child.kill();
        await server.close();
      }
    },
    { onDisk: true },
  );
  process.exit(0);
}
