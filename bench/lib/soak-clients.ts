/**
 * The client side of `bench/soak.ts`, in its own process so the server's memory is measured alone.
 * Keeps three loads going until told to stop: `chat` clients sending non-streaming
 * `/v1/chat/completions` one after another, `runs` clients each submitting a background run and
 * waiting for it to end (through its run channel on a socket), and `sockets` WebSockets on the org's
 * dashboard that receive what the server sends. Reports counts over IPC when stopped.
 */
import WebSocket from 'ws';

interface Start {
  type: 'start';
  base: string;
  token: string;
  apiKey: string;
  agentSlug: string;
  agentId: string;
  chat: number;
  runs: number;
  sockets: number;
}

const counts = { chat: 0, chatFailed: 0, runs: 0, runsFailed: 0, socketMessages: 0, socketsOpen: 0 };
let stopping = false;

function socketTo(start: Start): WebSocket {
  return new WebSocket(`${start.base.replace('http', 'ws')}/api/v1/ws`, ['bearer', start.token]);
}

/** A socket on the dashboard, counting what arrives; opened again if the server closes it. */
function dashboardSocket(start: Start): void {
  const ws = socketTo(start);
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString()) as { type: string };
    if (m.type === 'connection_ack') {
      counts.socketsOpen++;
      ws.send(JSON.stringify({ type: 'subscribe', channel: 'dashboard' }));
    }
    counts.socketMessages++;
  });
  ws.on('close', () => {
    counts.socketsOpen--;
    if (!stopping) setTimeout(() => dashboardSocket(start), 1000);
  });
  ws.on('error', () => {});
}

async function chatClient(start: Start): Promise<void> {
  while (!stopping) {
    const res = await fetch(`${start.base}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${start.apiKey}` },
      body: JSON.stringify({
        model: start.agentSlug,
        messages: [{ role: 'user', content: `soak ${counts.chat}: /tokens 40` }],
      }),
    }).catch(() => undefined);
    if (res?.ok) counts.chat++;
    else counts.chatFailed++;
    await res?.arrayBuffer().catch(() => undefined);
  }
}

/** One socket per client; each run is followed on its `runs:<id>` channel until it ends. */
async function runsClient(start: Start): Promise<void> {
  const ws = socketTo(start);
  const ended = new Map<string, () => void>();
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString()) as { type: string; channel?: string; event?: string };
    if (m.type === 'event' && m.channel && /^run\.(completed|failed|cancelled)$/.test(m.event ?? '')) {
      ended.get(m.channel.slice('runs:'.length))?.();
    }
  });
  ws.on('error', () => {});
  await new Promise((resolve) => ws.once('open', resolve));
  while (!stopping) {
    const res = await fetch(`${start.base}/api/v1/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${start.token}` },
      body: JSON.stringify({ agentId: start.agentId, input: 'soak run: /tokens 20' }),
    }).catch(() => undefined);
    if (!res?.ok) {
      counts.runsFailed++;
      await res?.arrayBuffer().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    const run = (await res.json()) as { id: string };
    // Subscribing with afterSeq replays what happened before the subscription, so an end is never missed.
    const done = new Promise<void>((resolve) => ended.set(run.id, resolve));
    ws.send(JSON.stringify({ type: 'subscribe', channel: `runs:${run.id}`, afterSeq: 0 }));
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 30_000).unref());
    if ((await Promise.race([done, timeout])) === 'timeout') counts.runsFailed++;
    else counts.runs++;
    ended.delete(run.id);
    ws.send(JSON.stringify({ type: 'unsubscribe', channel: `runs:${run.id}` }));
  }
  ws.close();
}

const loops: Promise<void>[] = [];
process.on('message', (message: Start | { type: 'stop' } | { type: 'counts' }) => {
  if (message.type === 'start') {
    for (let i = 0; i < message.sockets; i++) dashboardSocket(message);
    for (let i = 0; i < message.chat; i++) loops.push(chatClient(message));
    for (let i = 0; i < message.runs; i++) loops.push(runsClient(message));
  } else if (message.type === 'counts') {
    process.send?.({ type: 'counts', ...counts });
  } else {
    stopping = true;
    void Promise.all(loops).then(() => {
      process.send?.({ type: 'stopped', ...counts });
      process.exit(0);
    });
  }
});
