/**
 * One client process of `bench/ws.ts`, apart from the server so the server's memory is measured alone;
 * the bench spreads its sockets over several of these. Opens its sockets, subscribes each to the
 * dashboard, then times every event from publish to receipt (all processes read the same monotonic
 * clock) into a histogram, which the parent merges with the other processes'. Talks over IPC.
 */
import WebSocket from 'ws';
import { HISTOGRAM_BUCKETS, HISTOGRAM_STEP_MS } from './ws-histogram.ts';

interface Start {
  url: string;
  token: string;
  sockets: number;
  events: number;
  timeoutMs: number;
}

/** Sends a message to the parent; resolves once it is handed over (a large one takes a while). */
function send(message: unknown): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

async function open(start: Start): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  const batch = 50;
  for (let i = 0; i < start.sockets; i += batch) {
    const opened = Array.from({ length: Math.min(batch, start.sockets - i) }, () => {
      const ws = new WebSocket(start.url, ['bearer', start.token]);
      sockets.push(ws);
      return new Promise<void>((resolve, reject) => {
        ws.once('error', reject);
        ws.on('message', function first(data) {
          const m = JSON.parse(data.toString()) as { type: string };
          if (m.type === 'connection_ack')
            ws.send(JSON.stringify({ type: 'subscribe', channel: 'dashboard' }));
          if (m.type === 'subscribed') {
            ws.off('message', first);
            resolve();
          }
        });
      });
    });
    await Promise.all(opened);
  }
  return sockets;
}

async function run(start: Start): Promise<void> {
  const t0 = performance.now();
  const sockets = await open(start);
  const connectMs = performance.now() - t0;
  const expected = start.sockets * start.events;
  const histogram = new Array<number>(HISTOGRAM_BUCKETS).fill(0);
  let received = 0;
  let max = 0;
  // Sockets the server closed while events came (4008: a slow consumer), by close code.
  const closes = new Map<number, number>();
  for (const ws of sockets) ws.once('close', (code) => closes.set(code, (closes.get(code) ?? 0) + 1));
  const done = new Promise<void>((resolve) => {
    for (const ws of sockets) {
      ws.on('message', (data) => {
        const m = JSON.parse(data.toString()) as { type: string; data?: { t?: string } };
        if (m.type !== 'event' || !m.data?.t) return;
        const ms = Number(process.hrtime.bigint() - BigInt(m.data.t)) / 1e6;
        histogram[Math.min(HISTOGRAM_BUCKETS - 1, Math.floor(ms / HISTOGRAM_STEP_MS))]!++;
        max = Math.max(max, ms);
        received++;
        if (received === expected) resolve();
      });
    }
  });
  await send({ type: 'ready', connectMs });
  const cpuBefore = process.cpuUsage();
  const timedOut = new Promise<void>((resolve) => setTimeout(resolve, start.timeoutMs).unref());
  await Promise.race([done, timedOut]);
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  await send({ type: 'result', expected, received, max, histogram, closes: [...closes], cpuMs });
  for (const ws of sockets) ws.terminate();
  process.disconnect?.();
}

process.once('message', (message) => {
  run(message as Start).catch((err: unknown) => {
    void send({ type: 'error', message: err instanceof Error ? err.message : String(err) }).then(() =>
      process.exit(1),
    );
  });
});
