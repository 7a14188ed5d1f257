/**
 * The client side of `bench/chat.ts`, in its own process (the mock upstream has another, see
 * mock-upstream.ts), so the Switchboard server has its process to itself and both targets are
 * measured by the same client code under the same load. Talks to the parent over IPC: one command at
 * a time, one answer each. The mock's URL comes as the first argument.
 */
import { createRequire } from 'node:module';
import type { MockReply } from '../../server/test/kit/mock-openai.ts';
import { readSse } from '../../server/test/kit/sse-client.ts';

export interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
  model: string;
}

export interface StreamFigures {
  /** Request sent -> first content, ms. */
  ttft: number;
  /** Request sent -> last content, ms. */
  total: number;
  /** Tokens (words) per second from the first to the last content. */
  tokensPerSecond: number;
  tokens: number;
}

export type Command =
  | { cmd: 'sequential'; targets: Target[]; count: number }
  | { cmd: 'load'; target: Target; connections: number; duration: number }
  | { cmd: 'streams'; targets: Target[]; count: number; tokens: number; paceMs: number };

export interface Sent {
  took: number;
  id: string;
  sentAt: number;
  doneAt: number;
}

export interface LoadFigures {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

interface AutocannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (opts: {
  url: string;
  method: 'POST';
  connections: number;
  duration: number;
  headers: Record<string, string>;
  body: string;
}) => Promise<AutocannonResult>;
// autocannon ships no types; this is the part of its API used here.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const words = (n: number) => Array.from({ length: n }, (_, i) => `tok${i + 1}`).join(' ');

function post(target: Target, body: unknown): Promise<Response> {
  return fetch(`${target.url}/chat/completions`, {
    method: 'POST',
    headers: { ...target.headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** One non-streaming completion: wall time, the completion id, and when it was sent and answered. */
async function completeOnce(target: Target, text: string): Promise<Sent> {
  const sentAt = Date.now();
  const started = performance.now();
  const res = await post(target, { model: target.model, messages: [{ role: 'user', content: text }] });
  const body = (await res.json()) as { id: string; choices?: Array<{ message: { content: string } }> };
  const took = performance.now() - started;
  if (res.status !== 200 || !body.choices?.[0]?.message.content) {
    throw new Error(`${target.name}: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
  }
  return { took, id: body.id, sentAt, doneAt: Date.now() };
}

/** One streamed completion: time to first content, and tokens (words) per second from first to last. */
async function streamOnce(target: Target): Promise<StreamFigures> {
  const started = performance.now();
  const res = await post(target, {
    model: target.model,
    messages: [{ role: 'user', content: 'go' }],
    stream: true,
  });
  if (res.status !== 200 || !res.body) throw new Error(`${target.name}: ${res.status} ${await res.text()}`);
  let content = '';
  let first = 0;
  let last = 0;
  for await (const event of readSse(res)) {
    if (event.data === '[DONE]') continue;
    const data = JSON.parse(event.data) as { choices?: Array<{ delta?: { content?: string } }> };
    const text = data.choices?.[0]?.delta?.content;
    if (!text) continue;
    const now = performance.now();
    if (!first) first = now;
    last = now;
    content += text;
  }
  const tokens = content.split(/\s+/).filter(Boolean).length;
  return {
    ttft: first - started,
    total: last - started,
    tokensPerSecond: tokens / ((last - first) / 1000),
    tokens,
  };
}

const mockUrl = process.argv[2]!;
const mockOrigin = new URL(mockUrl).origin;
const mock = {
  async enqueue(...replies: MockReply[]): Promise<void> {
    await fetch(`${mockOrigin}/mock/enqueue`, { method: 'POST', body: JSON.stringify(replies) });
  },
  /** The mock keeps every request it answered; a long run would hold them all. */
  async reset(): Promise<void> {
    await fetch(`${mockOrigin}/mock/reset`, { method: 'POST' });
  },
};

async function handle(command: Command): Promise<unknown> {
  if (command.cmd === 'sequential') {
    const out: Sent[][] = command.targets.map(() => []);
    for (let n = 0; n < command.count; n++) {
      for (const [i, target] of command.targets.entries())
        out[i]!.push(await completeOnce(target, `hello ${n}`));
    }
    await mock.reset();
    return out;
  }
  if (command.cmd === 'load') {
    const { target } = command;
    const r = await autocannon({
      url: `${target.url}/chat/completions`,
      method: 'POST',
      connections: command.connections,
      duration: command.duration,
      headers: { ...target.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ model: target.model, messages: [{ role: 'user', content: 'hello there' }] }),
    });
    await mock.reset();
    return {
      requestsPerSecond: r.requests.average,
      p50: r.latency.p50,
      p99: r.latency.p99,
      non2xx: r.non2xx,
      errors: r.errors + r.timeouts,
    } satisfies LoadFigures;
  }
  const out: StreamFigures[][] = command.targets.map(() => []);
  for (let n = 0; n < command.count; n++) {
    for (const [i, target] of command.targets.entries()) {
      await mock.enqueue({
        text: words(command.tokens),
        ...(command.paceMs ? { chunkDelayMs: command.paceMs } : {}),
      });
      out[i]!.push(await streamOnce(target));
    }
  }
  await mock.reset();
  return out;
}

process.on('message', (message: Command) => {
  handle(message).then(
    (result) => process.send?.({ type: 'result', result }),
    (err: unknown) =>
      process.send?.({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
  );
});
process.send?.({ type: 'ready' });
