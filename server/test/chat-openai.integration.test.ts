import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeAgent } from './kit/agents.ts';
import { clientAs, rawRequest, type Schema } from './kit/api-client.ts';
import { dropChatStream, makeApiKey } from './kit/chat.ts';
import { type MockOpenAI, startMockOpenAI } from './kit/mock-openai.ts';
import { runEvents, waitForRun } from './kit/runs.ts';
import { readSse } from './kit/sse-client.ts';
import { startTestServer, type TestServer } from './kit/test-server.ts';
import { addMember, registerOwner, type Session } from './kit/users.ts';

/**
 * The OpenAI-compatible surface, driven by the official `openai` client, and disconnects reaching the
 * upstream model call (the mock OpenAI server counts them).
 */

let mock: MockOpenAI;
let server: TestServer;
let owner: Session;
let scripted: Schema<'Agent'>;
let upstream: Schema<'Agent'>;
let client: OpenAI;

beforeAll(async () => {
  mock = await startMockOpenAI();
  server = await startTestServer({
    env: { OPENAI_API_KEY: 'sk-mock-server-key', OPENAI_BASE_URL: mock.url },
  });
  owner = await registerOwner(server, 'oai');
  scripted = await makeAgent(server, owner, { tools: ['demo.approval'] });
  upstream = await makeAgent(server, owner, { model: 'openai:gpt-mock', instructions: 'Be brief.' });
  client = new OpenAI({
    apiKey: await makeApiKey(server, owner, ['chat:write', 'agents:read']),
    baseURL: `${server.url}/v1`,
    maxRetries: 0,
  });
});
afterAll(async () => {
  await server?.close();
  await mock?.close();
});
beforeEach(() => {
  mock.requests.length = 0;
});

describe('GET /v1/models', () => {
  it("lists the org's agents as models, id = slug", async () => {
    const models = await client.models.list();
    const ids = models.data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining([scripted.slug, upstream.slug]));
    expect(models.data.find((m) => m.id === scripted.slug)).toEqual({
      id: scripted.slug,
      object: 'model',
      created: Math.floor(Date.parse(scripted.createdAt) / 1000),
      owned_by: 'switchboard',
    });
  });
});

describe('POST /v1/chat/completions with the openai client', () => {
  it('answers chat.completion JSON with usage', async () => {
    const completion = await client.chat.completions.create({
      model: scripted.slug,
      messages: [{ role: 'user', content: 'hello model' }],
    });
    const runId = completion.id.slice('chatcmpl-'.length);
    const run = await clientAs(server, owner).GET('/api/v1/runs/{id}', { params: { path: { id: runId } } });
    expect(run.data).toMatchObject({ source: 'openai', conversationId: null, status: 'succeeded' });
    const { inputTokens, outputTokens } = run.data!.usage!;
    expect(outputTokens).toBe(3);
    expect(completion).toEqual({
      id: expect.stringMatching(/^chatcmpl-run_/),
      object: 'chat.completion',
      created: expect.any(Number),
      model: scripted.slug,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Echo: hello model', refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: inputTokens, completion_tokens: 3, total_tokens: inputTokens + 3 },
    });
  });

  it('streams chat.completion.chunk events, usage last, then [DONE]', async () => {
    const { data: stream, response } = await client.chat.completions
      .create({
        model: scripted.slug,
        messages: [{ role: 'user', content: 'stream this reply' }],
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Echo: stream this reply');
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === scripted.slug)).toBe(true);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks.at(-2)?.choices).toEqual([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]);
    const run = await clientAs(server, owner).GET('/api/v1/runs/{id}', {
      params: { path: { id: response.headers.get('x-run-id')! } },
    });
    const { inputTokens, outputTokens } = run.data!.usage!;
    expect(outputTokens).toBe(4);
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: inputTokens, completion_tokens: 4, total_tokens: inputTokens + 4 },
    });
  });

  it('ends the raw stream with data: [DONE]', async () => {
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: scripted.slug,
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      }),
    });
    const data = [];
    for await (const e of readSse(res)) data.push(e.data);
    expect(data.at(-1)).toBe('[DONE]');
    expect(JSON.parse(data.at(-2)!)).toMatchObject({ choices: [{ finish_reason: 'stop' }] });
  });

  it('gives the earlier messages to the model as history; the last user message is the input', async () => {
    mock.enqueue({ text: 'Third answer', usage: { prompt_tokens: 30, completion_tokens: 2 } });
    const completion = await client.chat.completions.create({
      model: upstream.slug,
      messages: [
        { role: 'system', content: 'ignored: the agent has its own instructions' },
        { role: 'user', content: 'first question' },
        { role: 'assistant', content: 'first answer' },
        { role: 'user', content: [{ type: 'text', text: 'second question' }] },
      ],
    });
    expect(completion.choices[0]?.message.content).toBe('Third answer');
    expect(completion.usage).toEqual({ prompt_tokens: 30, completion_tokens: 2, total_tokens: 32 });
    expect(mock.requests).toHaveLength(1);
    const text = (content: unknown) =>
      typeof content === 'string'
        ? content
        : (content as Array<{ text: string }>).map((p) => p.text).join('');
    const sent = mock.requests[0]!.body.messages.map((m) => [m.role, text(m.content)]);
    expect(sent).toEqual([
      ['system', 'Be brief.'],
      ['user', 'first question'],
      ['assistant', 'first answer'],
      ['user', 'second question'],
    ]);
  });

  it('keeps every reply of a tool-using turn, a blank line between, streamed or not', async () => {
    const agent = await makeAgent(server, owner, { tools: ['time.now'] });
    const messages = [{ role: 'user' as const, content: 'looking\n/tool time.now {"timezone":"UTC"}' }];
    const whole = await client.chat.completions.create({ model: agent.slug, messages });
    const content = whole.choices[0]?.message.content ?? '';
    expect(content).toMatch(/^Echo: looking\n\ntime\.now returned: \{"iso":/);
    const stream = await client.chat.completions.create({ model: agent.slug, messages, stream: true });
    let streamed = '';
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? '';
    expect(streamed).toMatch(/^Echo: looking\n\ntime\.now returned: \{"iso":/);
  });

  it('raises OpenAI errors: unknown model 404, bad key 401, model failure 502, bad messages 400', async () => {
    const unknown = await client.chat.completions
      .create({ model: 'no-such-agent', messages: [{ role: 'user', content: 'hi' }] })
      .catch((err: unknown) => err);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect(unknown).toMatchObject({
      status: 404,
      error: {
        message: 'The model `no-such-agent` does not exist or you do not have access to it.',
        type: 'not_found_error',
        param: 'model',
        code: 'model_not_found',
      },
    });

    const badKey = new OpenAI({ apiKey: 'sk-wrong', baseURL: `${server.url}/v1`, maxRetries: 0 });
    const denied = await badKey.models.list().catch((err: unknown) => err);
    expect(denied).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(denied).toMatchObject({ status: 401, error: { type: 'authentication_error' } });

    const failed = await client.chat.completions
      .create({ model: scripted.slug, messages: [{ role: 'user', content: '/fail upstream broke' }] })
      .catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(OpenAI.APIError);
    expect(failed).toMatchObject({
      status: 502,
      error: { message: 'upstream broke', type: 'api_error', code: 'model_error' },
    });

    const streamFailed = await (async () => {
      const stream = await client.chat.completions.create({
        model: scripted.slug,
        messages: [{ role: 'user', content: '/fail mid stream' }],
        stream: true,
      });
      for await (const _ of stream) {
        // drain until the error
      }
    })().catch((err: unknown) => err);
    expect(streamFailed).toBeInstanceOf(OpenAI.APIError);
    expect(streamFailed).toMatchObject({ error: { message: 'mid stream', code: 'model_error' } });

    const asOwner = clientAs(server, owner);
    const notUser = await asOwner.POST('/v1/chat/completions', {
      body: { model: scripted.slug, messages: [{ role: 'assistant', content: 'hi' }] },
    });
    expect(notUser.response.status).toBe(400);
    expect(notUser.error).toEqual({
      error: {
        message:
          'the last message must be from the user (it is the input of the turn); it is from the assistant',
        type: 'invalid_request_error',
        param: 'messages[0].role',
        code: 'invalid_messages',
      },
    });
    const invalid = await asOwner.POST('/v1/chat/completions', {
      body: { model: scripted.slug, messages: [] },
    });
    expect(invalid.response.status).toBe(400);
    expect(invalid.error).toMatchObject({
      error: { type: 'invalid_request_error', code: 'validation_failed', param: 'messages' },
    });
    // A path outside the API document, so raw.
    const missingRoute = await rawRequest(server, 'GET', '/v1/nothing', { token: owner.accessToken });
    expect(missingRoute.status).toBe(404);
    expect(missingRoute.body).toEqual({
      error: {
        message: 'no route for GET /v1/nothing',
        type: 'not_found_error',
        param: null,
        code: 'route_not_found',
      },
    });
  });

  it('refuses a caller without chat:write, and org B cannot use org A agent slugs', async () => {
    const viewer = await addMember(server, owner, 'viewer');
    const res = await clientAs(server, viewer).POST('/v1/chat/completions', {
      body: { model: scripted.slug, messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(res.response.status).toBe(403);
    expect(res.error).toEqual({
      error: {
        message: 'this needs the chat:write permission',
        type: 'permission_error',
        param: null,
        code: 'forbidden',
      },
    });
    const other = await registerOwner(server, 'oai-b');
    const theirs = new OpenAI({ apiKey: other.accessToken, baseURL: `${server.url}/v1`, maxRetries: 0 });
    const listed = await theirs.models.list();
    expect(listed.data.map((m) => m.id)).not.toContain(scripted.slug);
    const used = await theirs.chat.completions
      .create({ model: scripted.slug, messages: [{ role: 'user', content: 'hi' }] })
      .catch((err: unknown) => err);
    expect(used).toMatchObject({ status: 404, error: { code: 'model_not_found' } });
  });
});

describe('a client that disconnects stops its model call', () => {
  it('/chat/stream: the run is cancelled and the upstream request is closed', async () => {
    mock.enqueue({ text: 'one two three four five', hang: true });
    const before = mock.disconnects;
    const { runId, run } = await dropChatStream(server, owner, {
      agentId: upstream.id,
      message: 'talk to me',
    });
    expect(run.status).toBe('cancelled');
    expect(mock.disconnects).toBe(before + 1);
    expect((await runEvents(server, owner, runId)).at(-1)).toMatchObject({
      type: 'run.failed',
      data: { code: 'cancelled' },
    });
  });

  it('/v1/chat/completions streaming: a disconnect cancels at once', async () => {
    mock.enqueue({ text: 'one two three four five', hang: true });
    const before = mock.disconnects;
    const controller = new AbortController();
    const { data: stream, response } = await client.chat.completions
      .create(
        { model: upstream.slug, messages: [{ role: 'user', content: 'talk' }], stream: true },
        { signal: controller.signal },
      )
      .withResponse();
    const runId = response.headers.get('x-run-id')!;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) break; // leaving the loop aborts the request
    }
    const run = await waitForRun(server, owner, runId, ['cancelled', 'succeeded', 'failed']);
    expect(run.status).toBe('cancelled');
    expect(mock.disconnects).toBe(before + 1);
  });
});
