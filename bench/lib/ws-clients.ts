/**
 * The client side of `bench/ws.ts`, in its own process so the server's memory is measured alone.
 * Opens the sockets, subscribes each to the dashboard, then times every event from publish to receipt
 * (both processes read the same monotonic clock). Talks to the parent over IPC.
 */
import WebSocket from 'ws';

interface Start {
  url: string;
  token: string;
  sockets: number;
  events: number;
  timeoutMs: number;
}

function send(message: unknown): void {
  process.send?.(message);
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
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
  const latencies = new Float64Array(expected);
  let received = 0;
  const done = new Promise<void>((resolve) => {
    for (const ws of sockets) {
      ws.on('message', (data) => {
        const m = JSON.parse(data.toString()) as { type: string; data?: { t?: string } };
        if (m.type !== 'event' || !m.data?.t) return;
        const ns = process.hrtime.bigint() - BigInt(m.data.t);
        if (received < expected) latencies[received] = Number(ns) / 1e6;
        received++;
        if (received === expected) resolve();
      });
    }
  });
  send({ type: 'ready', connectMs });
  const timedOut = new Promise<void>((resolve) => setTimeout(resolve, start.timeoutMs).unref());
  await Promise.race([done, timedOut]);
  const sorted = latencies.subarray(0, Math.min(received, expected)).sort();
  send({
    type: 'result',
    expected,
    received,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
  });
  for (const ws of sockets) ws.terminate();
  process.disconnect?.();
}

process.once('message', (message) => {
  run(message as Start).catch((err: unknown) => {
    send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  });
});
