import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAgent } from './kit/agents.ts';
import { clientAs, type Schema } from './kit/api-client.ts';
import { makeApiKey } from './kit/chat.ts';
import { type MockOpenAI, startMockOpenAI } from './kit/mock-openai.ts';
import { inboxItemFor, logLabels, runEvents, waitForRun } from './kit/runs.ts';
import { startTestServer, type TestServer } from './kit/test-server.ts';
import { registerOwner, type Session } from './kit/users.ts';

/**
 * OpenAI completions, whole or streamed, execute in their own request (chat/inline.ts) and are
 * recorded as runs just after the answer (runs/inline.ts); what needs durability midway (an
 * approval, a retry) is handed to the run queue. With CHAT_INLINE_MAX=0 every completion goes
 * through the queue.
 */

let mock: MockOpenAI;
let server: TestServer;
let owner: Session;
let scripted: Schema<'Agent'>;
let apiKey: string;
let client: OpenAI;

const types = async (runId: string) => logLabels(await runEvents(server, owner, runId));
const asOwner = () => clientAs(server, owner);
const getRun = (id: string) => asOwner().GET('/api/v1/runs/{id}', { params: { path: { id } } });
const approve = (id: string) =>
  asOwner().POST('/api/v1/inbox/{id}/approve', { params: { path: { id } }, body: {} });

/** The log of a turn that paused inline for approval, was handed to the queue, approved and finished. */
async function expectApprovedLog(runId: string) {
  const log = await types(runId);
  expect(log.slice(0, 4)).toEqual(['run.queued', 'run.started(start)', 'tool.called', 'approval.required']);
  expect(log).toEqual(expect.arrayContaining(['approval.decided', 'run.started(approval)', 'tool.result']));
  expect(log.at(-1)).toBe('run.completed');
}

/** Three 503s fail an inline attempt (the model client retries twice itself); then this reply. */
function failThriceThen(text: string) {
  const overloaded = { error: { status: 503, message: 'overloaded', retryAfterMs: 10 } };
  mock.enqueue(overloaded, overloaded, overloaded, { text });
}

/** The newest run of an agent once it has one in `statuses` (the caller is still waiting for its answer). */
async function newestRun(agentId: string, statuses: Array<Schema<'Run'>['status']>): Promise<Schema<'Run'>> {
  for (let i = 0; i < 400; i++) {
    const res = await asOwner().GET('/api/v1/runs', { params: { query: { agentId, limit: 1 } } });
    const run = res.data?.items[0];
    if (run && statuses.includes(run.status)) return run;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`agent ${agentId} has no run in ${statuses.join('/')}`);
}

beforeAll(async () => {
  mock = await startMockOpenAI();
  server = await startTestServer({ env: { OPENAI_API_KEY: 'sk-mock', OPENAI_BASE_URL: mock.url } });
  owner = await registerOwner(server, 'inline');
  scripted = await makeAgent(server, owner, { tools: ['demo.approval'] });
  apiKey = await makeApiKey(server, owner, ['chat:write', 'agents:read']);
  client = new OpenAI({ apiKey, baseURL: `${server.url}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await server?.close();
  await mock?.close();
});

describe('a non-streaming completion', () => {
  it('runs in its request and is kept as a run with the log a worker writes, and its usage', async () => {
    const completion = await client.chat.completions.create({
      model: scripted.slug,
      messages: [{ role: 'user', content: 'inline please' }],
    });
    expect(completion.choices[0]?.message.content).toBe('Echo: inline please');
    const runId = completion.id.slice('chatcmpl-'.length);
    // Readable at once with the id the client got, though it is written behind the answer.
    const run = await getRun(runId);
    expect(run.data).toMatchObject({
      status: 'succeeded',
      source: 'openai',
      attempts: 1,
      output: 'Echo: inline please',
    });
    // The model was asked for a whole response: no deltas, one completed message.
    expect(await types(runId)).toEqual([
      'run.queued',
      'run.started(start)',
      'message.completed',
      'run.completed',
    ]);
    const health = await asOwner().GET('/api/v1/agents/{id}/health', {
      params: { path: { id: scripted.id } },
    });
    expect(health.data!.requests).toBeGreaterThanOrEqual(1);
  });

  it('hands a turn that needs approval to the queue; approving it answers the waiting request', async () => {
    const answer = client.chat.completions.create({
      model: scripted.slug,
      messages: [{ role: 'user', content: '/tool demo.approval {"action":"ship it"}' }],
    });
    const waiting = await newestRun(scripted.id, ['waiting_approval']);
    const item = await inboxItemFor(server, owner, waiting.id);
    const approved = await approve(item.id);
    expect(approved.response.status).toBe(200);
    const completion = await answer;
    expect(completion.id).toBe(`chatcmpl-${waiting.id}`);
    await waitForRun(server, owner, waiting.id, ['succeeded']);
    await expectApprovedLog(waiting.id);
  });

  it('hands a transient model failure to the queue, which retries it', async () => {
    const upstream = await makeAgent(server, owner, { model: 'openai:gpt-mock' });
    failThriceThen('second time lucky');
    const completion = await client.chat.completions.create({
      model: upstream.slug,
      messages: [{ role: 'user', content: 'try hard' }],
    });
    expect(completion.choices[0]?.message.content).toBe('second time lucky');
    const runId = completion.id.slice('chatcmpl-'.length);
    const run = await waitForRun(server, owner, runId, ['succeeded']);
    expect(run).toMatchObject({ attempts: 2 });
    const log = await types(runId);
    expect(log.slice(0, 3)).toEqual(['run.queued', 'run.started(start)', 'error(retrying)']);
    expect(log).toContain('run.completed');
  });

  it('a queued run (POST /runs) that fails the same way is retried by its worker', async () => {
    const upstream = await makeAgent(server, owner, { model: 'openai:gpt-mock' });
    failThriceThen('worker retried');
    const submitted = await asOwner().POST('/api/v1/runs', {
      body: { agentId: upstream.id, input: 'try hard' },
    });
    expect(submitted.response.status).toBe(202);
    const run = await waitForRun(server, owner, submitted.data!.id, ['succeeded', 'failed']);
    expect(run).toMatchObject({ status: 'succeeded', output: 'worker retried', attempts: 2 });
    expect(await types(run.id)).toContain('error(retrying)');
  });

  it('is cancelled when its client leaves', async () => {
    const sleepy = await makeAgent(server, owner);
    const leave = new AbortController();
    const pending = fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      body: JSON.stringify({ model: sleepy.slug, messages: [{ role: 'user', content: '/sleep 20000' }] }),
      signal: leave.signal,
    }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    leave.abort();
    await pending;
    const run = await newestRun(sleepy.id, ['cancelled']);
    expect(await types(run.id)).toEqual(['run.queued', 'run.started(start)', 'run.failed(cancelled)']);
  });

  it('sees an agent change and a revoked API key at once', async () => {
    const agent = await makeAgent(server, owner, { model: 'openai:gpt-mock', instructions: 'First rules.' });
    const key = await makeApiKey(server, owner, ['chat:write']);
    const keyed = new OpenAI({ apiKey: key, baseURL: `${server.url}/v1`, maxRetries: 0 });
    const ask = () =>
      keyed.chat.completions.create({ model: agent.slug, messages: [{ role: 'user', content: 'hi' }] });
    await ask();
    const system = () => mock.requests.at(-1)?.body.messages[0]?.content;
    expect(system()).toBe('First rules.');

    const changed = await asOwner().PATCH('/api/v1/agents/{id}', {
      params: { path: { id: agent.id } },
      body: { instructions: 'Second rules.' },
    });
    expect(changed.response.status).toBe(200);
    await ask();
    expect(system()).toBe('Second rules.');

    const keys = await asOwner().GET('/api/v1/api-keys');
    const id = keys.data!.items.find((k) => key.startsWith(k.prefix))!.id;
    expect(
      (await asOwner().DELETE('/api/v1/api-keys/{id}', { params: { path: { id } } })).response.status,
    ).toBe(204);
    await expect(ask()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});

/** Streams a completion with `openai`; the content chunks as they came, and the run id. */
async function streamed(via: OpenAI, model: string, content: string) {
  const { data: stream, response } = await via.chat.completions
    .create({ model, messages: [{ role: 'user', content }], stream: true })
    .withResponse();
  const chunks: string[] = [];
  for await (const chunk of stream) {
    const text = chunk.choices[0]?.delta.content;
    if (text) chunks.push(text);
  }
  return { chunks, runId: response.headers.get('x-run-id')! };
}

/** An upstream reply whose words come 40 ms apart: a worker stores such a reply in several deltas. */
const slowReply = { text: 'one two three four', chunkDelayMs: 40 };
const deltasOf = async (target: TestServer, session: Session, runId: string) =>
  (await runEvents(target, session, runId)).filter((e) => e.type === 'message.delta').length;

describe('a streamed completion', () => {
  it('runs in its request: each word reaches the client as it comes, and the run keeps one merged delta', async () => {
    const upstream = await makeAgent(server, owner, { model: 'openai:gpt-mock' });
    mock.enqueue(slowReply);
    const { chunks, runId } = await streamed(client, upstream.slug, 'talk slowly');
    expect(chunks).toEqual(['one', ' two', ' three', ' four']);
    const run = await getRun(runId);
    expect(run.data).toMatchObject({ status: 'succeeded', source: 'openai', output: 'one two three four' });
    expect(await types(runId)).toEqual([
      'run.queued',
      'run.started(start)',
      'message.delta',
      'message.completed',
      'run.completed',
    ]);
    const delta = (await runEvents(server, owner, runId))[2];
    expect(delta?.data).toMatchObject({ text: 'one two three four' });
  });

  it('waits out an approval as a queued run and streams the rest once it is approved', async () => {
    const pending = streamed(client, scripted.slug, '/tool demo.approval {"action":"ship it"}');
    const waiting = await newestRun(scripted.id, ['waiting_approval']);
    const item = await inboxItemFor(server, owner, waiting.id);
    await approve(item.id);
    const { chunks, runId } = await pending;
    expect(runId).toBe(waiting.id);
    expect(chunks.join('')).not.toBe('');
    await expectApprovedLog(runId);
  });

  it('hands a transient model failure to the queue and streams the retried answer', async () => {
    const upstream = await makeAgent(server, owner, { model: 'openai:gpt-mock' });
    failThriceThen('second time lucky');
    const { chunks, runId } = await streamed(client, upstream.slug, 'try hard');
    expect(chunks.join('')).toBe('second time lucky');
    const run = await waitForRun(server, owner, runId, ['succeeded']);
    expect(run).toMatchObject({ attempts: 2 });
    expect((await types(runId)).slice(0, 3)).toEqual(['run.queued', 'run.started(start)', 'error(retrying)']);
  });
});

describe('with CHAT_INLINE_MAX=0', () => {
  it('every completion goes through the run queue', async () => {
    const queued = await startTestServer({
      env: { CHAT_INLINE_MAX: '0', OPENAI_API_KEY: 'sk-mock', OPENAI_BASE_URL: mock.url },
    });
    try {
      const boss = await registerOwner(queued, 'queued');
      const agent = await makeAgent(queued, boss);
      const viaQueue = new OpenAI({
        apiKey: await makeApiKey(queued, boss, ['chat:write']),
        baseURL: `${queued.url}/v1`,
        maxRetries: 0,
      });
      const completion = await viaQueue.chat.completions.create({
        model: agent.slug,
        messages: [{ role: 'user', content: 'through the queue' }],
      });
      expect(completion.choices[0]?.message.content).toBe('Echo: through the queue');
      // A worker streams the reply into the log as it comes.
      const log = await runEvents(queued, boss, completion.id.slice('chatcmpl-'.length));
      expect(log.map((e) => e.type)).toContain('message.delta');

      // A streamed one too: the worker stores a slow reply's words in several deltas as they come.
      const upstream = await makeAgent(queued, boss, { model: 'openai:gpt-mock' });
      mock.enqueue(slowReply);
      const { chunks, runId } = await streamed(viaQueue, upstream.slug, 'talk slowly');
      expect(chunks.join('')).toBe('one two three four');
      expect(await deltasOf(queued, boss, runId)).toBeGreaterThan(1);
    } finally {
      await queued.close();
    }
  });
});
