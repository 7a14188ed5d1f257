import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Agent } from '../src/agents/present.ts';
import type { RunTurnInput } from '../src/execution/agent-turn.ts';
import type { TurnEvent } from '../src/execution/events.ts';
import { makeAgent } from './kit/agents.ts';
import { clientAs } from './kit/api-client.ts';
import { type MockOpenAI, startMockOpenAI } from './kit/mock-openai.ts';
import { startTestServer, type TestServer } from './kit/test-server.ts';
import { registerOwner, type Session } from './kit/users.ts';

/** The openai provider, driven through runAgentTurn against a mock OpenAI-compatible server. */

let mock: MockOpenAI;
let server: TestServer;
let owner: Session;

beforeAll(async () => {
  mock = await startMockOpenAI();
  server = await startTestServer({
    env: { OPENAI_API_KEY: 'sk-mock-server-key', OPENAI_BASE_URL: mock.url },
  });
  owner = await registerOwner(server, 'openai');
});
afterAll(async () => {
  await server?.close();
  await mock?.close();
});
beforeEach(() => {
  mock.requests.length = 0;
});

async function turn(agent: Agent, input: string, extra: Partial<RunTurnInput> = {}, session = owner) {
  const events: TurnEvent[] = [];
  const result = await server.domains.execution.runAgentTurn({
    orgId: session.orgId,
    agent,
    history: [],
    input,
    onEvent: (e) => events.push(e),
    ...extra,
  });
  return { result, events };
}

const ofType = <T extends TurnEvent['type']>(events: TurnEvent[], type: T) =>
  events.filter((e): e is Extract<TurnEvent, { type: T }> => e.type === type);

describe('openai provider', () => {
  it('streams a reply from chat.completion.chunk events, with the server key and usage', async () => {
    const agent = await makeAgent(server, owner, {
      model: 'openai:gpt-mock',
      instructions: 'You are terse.',
      modelSettings: { temperature: 0.3, maxTokens: 64 },
    });
    mock.enqueue({ text: 'Hello from the mock model', usage: { prompt_tokens: 21, completion_tokens: 5 } });
    const { result, events } = await turn(agent, 'Say hello');
    expect(ofType(events, 'message.delta').map((e) => e.text)).toEqual([
      'Hello',
      ' from',
      ' the',
      ' mock',
      ' model',
    ]);
    expect(result).toMatchObject({
      outcome: 'completed',
      text: 'Hello from the mock model',
      agentId: agent.id,
    });
    expect(result.usage).toMatchObject({
      model: 'openai:gpt-mock',
      inputTokens: 21,
      outputTokens: 5,
      requests: 1,
      calls: [{ model: 'openai:gpt-mock', inputTokens: 21, outputTokens: 5, outcome: 'ok' }],
    });

    const [request] = mock.requests;
    expect(request?.headers.authorization).toBe('Bearer sk-mock-server-key');
    expect(request?.body).toMatchObject({
      model: 'gpt-mock',
      stream: true,
      temperature: 0.3,
      max_tokens: 64,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Say hello' },
      ],
    });
    expect(request?.body.tools).toBeUndefined();
  });

  it('runs the tools the model calls, offering only the agent’s own', async () => {
    const agent = await makeAgent(server, owner, { model: 'openai:gpt-mock', tools: ['math.calculate'] });
    mock.enqueue(
      { toolCalls: [{ name: 'math_calculate', arguments: { expression: '2 + 3' } }] },
      { text: 'The answer is 5.' },
    );
    const { result, events } = await turn(agent, 'What is 2 + 3?');
    expect(ofType(events, 'tool.called')).toEqual([
      expect.objectContaining({
        name: 'math.calculate',
        arguments: { expression: '2 + 3' },
        agentId: agent.id,
      }),
    ]);
    expect(ofType(events, 'tool.result')).toEqual([
      expect.objectContaining({
        name: 'math.calculate',
        output: '{"expression":"2 + 3","result":5}',
        isError: false,
      }),
    ]);
    expect(result.text).toBe('The answer is 5.');

    expect(mock.requests[0]?.body.tools?.map((t) => t.function.name)).toEqual(['math_calculate']);
    expect(mock.requests[0]?.body.tools?.[0]?.function.parameters).toMatchObject({
      type: 'object',
      properties: { expression: { type: 'string' } },
    });
    // The second call carries the tool call and its result back to the model.
    const followUp = mock.requests[1]?.body.messages ?? [];
    const callId = followUp.find((m) => m.role === 'assistant')?.tool_calls?.[0]?.id;
    expect(followUp.find((m) => m.role === 'tool')).toMatchObject({
      tool_call_id: callId,
      content: '{"expression":"2 + 3","result":5}',
    });
  });

  it('refuses a tool the model asks for that the agent was not given', async () => {
    const agent = await makeAgent(server, owner, { model: 'openai:gpt-mock', tools: ['time.now'] });
    mock.enqueue(
      { toolCalls: [{ name: 'http_get', arguments: { url: 'http://169.254.169.254/' } }] },
      { text: 'Sorry.' },
    );
    const { events } = await turn(agent, 'fetch the metadata service');
    expect(ofType(events, 'tool.result')).toEqual([
      expect.objectContaining({
        name: 'http.get',
        isError: true,
        output: `Error: tool http.get is not available to agent ${agent.slug}`,
      }),
    ]);
  });

  it('hands off from an OpenAI agent to a builtin:scripted specialist', async () => {
    const specialist = await makeAgent(server, owner, { name: 'Specialist' });
    const triage = await makeAgent(server, owner, { model: 'openai:gpt-mock', handoffs: [specialist.id] });
    mock.enqueue({
      toolCalls: [{ name: `transfer_to_${specialist.slug.replaceAll('-', '_')}`, arguments: {} }],
    });
    const { result, events } = await turn(triage, 'I need the specialist');
    expect(mock.requests[0]?.body.tools?.map((t) => t.function.name)).toEqual([
      `transfer_to_${specialist.slug.replaceAll('-', '_')}`,
    ]);
    expect(ofType(events, 'handoff')).toEqual([{ type: 'handoff', from: triage.id, to: specialist.id }]);
    expect(result).toMatchObject({ agentId: specialist.id, text: 'Echo: I need the specialist' });
    expect(result.usage.calls.map((c) => c.model)).toEqual(['openai:gpt-mock', 'builtin:scripted']);
  });

  it('reports an upstream error as model_error with its message', async () => {
    const agent = await makeAgent(server, owner, { model: 'openai:gpt-mock' });
    mock.enqueue({ error: { status: 401, message: 'Incorrect API key provided', code: 'invalid_api_key' } });
    const { result } = await turn(agent, 'hi');
    expect(result.error?.code).toBe('model_error');
    expect(result.error?.message).toContain('Incorrect API key provided');
    expect(result).toMatchObject({ outcome: 'failed', usage: { calls: [{ outcome: 'error' }] } });
  });

  it('cancels the upstream request when the turn is aborted mid-stream', async () => {
    const agent = await makeAgent(server, owner, { model: 'openai:gpt-mock' });
    mock.enqueue({ text: 'this will never finish', hang: true });
    const controller = new AbortController();
    const before = mock.disconnects;
    const started = Date.now();
    const seen: TurnEvent[] = [];
    const { result } = await turn(agent, 'go', {
      signal: controller.signal,
      onEvent: (e) => {
        seen.push(e);
        if (e.type === 'message.delta') controller.abort();
      },
    });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(result.outcome).toBe('cancelled');
    expect(result.error).toEqual({ code: 'cancelled', message: 'the run was cancelled' });
    expect(seen.map((e) => e.type)).toEqual(['message.delta']);
    expect(result.messages).toEqual([
      { role: 'assistant', agentId: agent.id, content: 'this', data: { incomplete: true } },
    ]);
    await expect.poll(() => mock.disconnects).toBe(before + 1);
  });

  it("uses an org's own OpenAI-compatible provider, with its key", async () => {
    const org = await registerOwner(server, 'own-provider');
    const put = await clientAs(server, org).PUT('/api/v1/model-providers', {
      body: { name: 'local', baseUrl: mock.url, apiKey: 'sk-org-local' },
    });
    expect(put.response.status).toBe(200);
    const agent = await makeAgent(server, org, { model: 'local:tiny-llm' });
    mock.enqueue({ text: 'local answer' });
    const { result } = await turn(agent, 'hi', {}, org);
    expect(result.text).toBe('local answer');
    expect(mock.requests[0]?.headers.authorization).toBe('Bearer sk-org-local');
    expect(mock.requests[0]?.body.model).toBe('tiny-llm');
  });

  it('reaches anthropic through its OpenAI-compatible endpoint with the org key', async () => {
    const org = await registerOwner(server, 'anthropic');
    // The base URL points at the mock here; by default it is Anthropic's OpenAI SDK endpoint.
    await clientAs(server, org).PUT('/api/v1/model-providers', {
      body: { name: 'anthropic', baseUrl: mock.url, apiKey: 'sk-ant-org' },
    });
    const agent = await makeAgent(server, org, { model: 'anthropic:claude-sonnet-4' });
    mock.enqueue({ text: 'from claude' });
    const { result } = await turn(agent, 'hi', {}, org);
    expect(result.text).toBe('from claude');
    expect(mock.requests[0]?.headers.authorization).toBe('Bearer sk-ant-org');
    expect(mock.requests[0]?.body.model).toBe('claude-sonnet-4');
  });

  it("never sends the server's key to an endpoint an org chose", async () => {
    const org = await registerOwner(server, 'own-endpoint');
    const api = clientAs(server, org);
    await api.PUT('/api/v1/model-providers', { body: { name: 'openai', baseUrl: mock.url } });
    const listed = await api.GET('/api/v1/model-providers');
    expect(listed.data!.items.find((p) => p.name === 'openai')).toMatchObject({
      configured: false,
      apiKeySet: false,
    });
    const agent = await makeAgent(server, org, { model: 'openai:gpt-mock' });
    const { result } = await turn(agent, 'hi', {}, org);
    expect(result.error).toEqual({
      code: 'provider_not_configured',
      message:
        "model provider openai has this organisation's own base URL but no API key; the server's key is never sent to it: PUT /api/v1/model-providers with an apiKey",
    });
    expect(mock.requests).toEqual([]);
  });
});
