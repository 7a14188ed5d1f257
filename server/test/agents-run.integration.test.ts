import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../src/agents/present.ts';
import type { RunTurnInput, TurnResult } from '../src/execution/agent-turn.ts';
import type { TurnEvent, TurnMessage } from '../src/execution/events.ts';
import { allowHosts, makeAgent } from './kit/agents.ts';
import { startTestServer, type TestServer } from './kit/test-server.ts';
import { registerOwner, type Session } from './kit/users.ts';

let server: TestServer;
let owner: Session;
let web: Server;
let webUrl: string;

beforeAll(async () => {
  server = await startTestServer();
  owner = await registerOwner(server, 'runs');
  web = createServer((req, res) => {
    if (req.url === '/hello') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('hello from the web');
    } else if (req.url === '/redirect-out') {
      res.writeHead(302, { location: 'http://localhost:1/elsewhere' }).end();
    } else res.writeHead(404, { 'content-type': 'text/plain' }).end('no such page');
  });
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => web?.close(resolve));
  await server?.close();
});

async function turn(
  agent: Agent,
  input: string,
  extra: Partial<RunTurnInput> = {},
): Promise<{ result: TurnResult; events: TurnEvent[] }> {
  const events: TurnEvent[] = [];
  const result = await server.domains.execution.runAgentTurn({
    orgId: owner.orgId,
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

describe('runAgentTurn with builtin:scripted', () => {
  it('streams an echo word by word and reports usage', async () => {
    const agent = await makeAgent(server, owner);
    const { result, events } = await turn(agent, 'hello brave world');
    // The turn says what the agent did; the run loop writes the run's own start and end.
    expect(events.map((e) => e.type)).toEqual([
      'message.delta',
      'message.delta',
      'message.delta',
      'message.delta',
      'message.completed',
    ]);
    expect(
      ofType(events, 'message.delta')
        .map((e) => e.text)
        .join(''),
    ).toBe('Echo: hello brave world');
    expect(ofType(events, 'message.completed')).toEqual([
      { type: 'message.completed', text: 'Echo: hello brave world', agentId: agent.id },
    ]);
    expect(result).toMatchObject({
      outcome: 'completed',
      text: 'Echo: hello brave world',
      agentId: agent.id,
      messages: [{ role: 'assistant', agentId: agent.id, content: 'Echo: hello brave world', data: {} }],
    });
    expect(result.usage).toMatchObject({
      model: 'builtin:scripted',
      requests: 1,
      outputTokens: 4,
      outcome: 'completed',
      calls: [{ agentId: agent.id, model: 'builtin:scripted', outputTokens: 4, outcome: 'ok' }],
    });
    expect(result.usage.inputTokens).toBeGreaterThanOrEqual(3);
    expect(events.map((e) => e.type)).not.toContain('run.completed'); // the run loop writes that
  });

  it('calls a tool the agent has, then summarises the result', async () => {
    const agent = await makeAgent(server, owner, { tools: ['math.calculate'] });
    const { result, events } = await turn(
      agent,
      'Working on it\n/tool math.calculate {"expression": "6 * 7"}',
    );
    const called = ofType(events, 'tool.called');
    expect(called).toEqual([
      {
        type: 'tool.called',
        name: 'math.calculate',
        arguments: { expression: '6 * 7' },
        callId: expect.any(String),
        agentId: agent.id,
      },
    ]);
    expect(ofType(events, 'tool.result')).toEqual([
      {
        type: 'tool.result',
        name: 'math.calculate',
        callId: called[0]!.callId,
        output: '{"expression":"6 * 7","result":42}',
        isError: false,
        agentId: agent.id,
      },
    ]);
    expect(result.text).toBe('math.calculate returned: {"expression":"6 * 7","result":42}');
    expect(result.messages.map((m) => [m.role, m.content])).toEqual([
      ['assistant', 'Echo: Working on it'],
      ['tool_call', '{"expression": "6 * 7"}'],
      ['tool_result', '{"expression":"6 * 7","result":42}'],
      ['assistant', 'math.calculate returned: {"expression":"6 * 7","result":42}'],
    ]);
    expect(result.messages[1]!.data).toEqual({
      toolName: 'math.calculate',
      callId: called[0]!.callId,
      arguments: { expression: '6 * 7' },
    });
    expect(result.usage.requests).toBe(2);
  });

  it('refuses a tool the agent was not given', async () => {
    const agent = await makeAgent(server, owner, { tools: ['time.now'] });
    const { result, events } = await turn(agent, '/tool math.calculate {"expression": "1 + 1"}');
    expect(ofType(events, 'tool.result')).toEqual([
      expect.objectContaining({
        name: 'math.calculate',
        isError: true,
        output: `Error: tool math.calculate is not available to agent ${agent.slug}`,
      }),
    ]);
    expect(result.text).toBe(
      `math.calculate failed: tool math.calculate is not available to agent ${agent.slug}`,
    );
    expect(result.outcome).toBe('completed');
  });

  it('answers bad tool arguments with a clear tool error', async () => {
    const agent = await makeAgent(server, owner, { tools: ['math.calculate', 'time.now'] });
    const bad = await turn(agent, '/tool math.calculate {"expr": "1"}');
    expect(ofType(bad.events, 'tool.result')[0]).toMatchObject({ isError: true });
    expect(ofType(bad.events, 'tool.result')[0]!.output).toMatch(
      /^Error: invalid arguments for math\.calculate: .*expression/,
    );
    const notJson = await turn(agent, '/tool math.calculate 6*7');
    expect(ofType(notJson.events, 'tool.result')[0]).toMatchObject({
      isError: true,
      output: 'An error occurred while parsing tool arguments. Please try again with valid JSON.',
    });
    expect(notJson.result.text).toBe(
      'math.calculate failed: An error occurred while parsing tool arguments. Please try again with valid JSON.',
    );
    const divide = await turn(agent, '/tool math.calculate {"expression": "1/0"}');
    expect(divide.result.text).toBe('math.calculate failed: cannot calculate "1/0": division by zero');
    const zone = await turn(agent, '/tool time.now {"timezone": "Mars/Olympus"}');
    expect(zone.result.text).toBe(
      'time.now failed: unknown time zone "Mars/Olympus"; use an IANA name such as Europe/Paris',
    );
  });

  it('hands off triage -> specialist, and the specialist answers the rest', async () => {
    const refunds = await makeAgent(server, owner, { name: 'Refunds', tools: ['math.calculate'] });
    const billing = await makeAgent(server, owner, {
      name: 'Billing',
      handoffs: [refunds.id],
      tools: ['time.now'],
    });
    const triage = await makeAgent(server, owner, { name: 'Triage', handoffs: [billing.id] });
    const { result, events } = await turn(
      triage,
      `/handoff ${billing.slug}\n/handoff ${refunds.slug}\nI need a refund\n/tool math.calculate {"expression":"10-2"}`,
    );
    expect(ofType(events, 'handoff')).toEqual([
      { type: 'handoff', from: triage.id, to: billing.id },
      { type: 'handoff', from: billing.id, to: refunds.id },
    ]);
    expect(ofType(events, 'message.completed')).toEqual([
      { type: 'message.completed', text: 'Echo: I need a refund', agentId: refunds.id },
      {
        type: 'message.completed',
        text: 'math.calculate returned: {"expression":"10-2","result":8}',
        agentId: refunds.id,
      },
    ]);
    expect(ofType(events, 'message.delta').every((e) => e.agentId === refunds.id)).toBe(true);
    expect(result.agentId).toBe(refunds.id);
    expect(result.messages.filter((m) => m.role === 'handoff')).toEqual([
      {
        role: 'handoff',
        agentId: triage.id,
        content: `${triage.slug} handed off to ${billing.slug}`,
        data: { from: triage.id, to: billing.id },
      },
      {
        role: 'handoff',
        agentId: billing.id,
        content: `${billing.slug} handed off to ${refunds.slug}`,
        data: { from: billing.id, to: refunds.id },
      },
    ]);
    expect(result.usage.calls.map((c) => c.agentId)).toEqual([triage.id, billing.id, refunds.id, refunds.id]);
  });

  it('keeps each agent of a chain to its own tools', async () => {
    const specialist = await makeAgent(server, owner, { tools: [] });
    const triage = await makeAgent(server, owner, { handoffs: [specialist.id], tools: ['math.calculate'] });
    const { events } = await turn(
      triage,
      `/handoff ${specialist.slug}\n/tool math.calculate {"expression":"1"}`,
    );
    expect(ofType(events, 'tool.result')[0]).toMatchObject({
      agentId: specialist.id,
      isError: true,
      output: `Error: tool math.calculate is not available to agent ${specialist.slug}`,
    });
  });

  it('refuses a hand-off to an agent that is not listed', async () => {
    const outsider = await makeAgent(server, owner);
    const agent = await makeAgent(server, owner);
    const { result, events } = await turn(agent, `/handoff ${outsider.slug}\nstill me`);
    expect(ofType(events, 'handoff')).toEqual([]);
    const refusal = `Error: agent ${agent.slug} cannot hand off with transfer_to_${outsider.slug.replaceAll('-', '_')}: not one of its hand-offs`;
    expect(ofType(events, 'tool.result')[0]).toMatchObject({ isError: true, output: refusal });
    expect(result.agentId).toBe(agent.id);
    expect(result.text).toBe('Echo: still me');
  });

  it('/fail ends the run with model_error and keeps what was already said', async () => {
    const agent = await makeAgent(server, owner);
    const { result, events } = await turn(agent, 'partial answer\n/fail upstream exploded');
    expect(events.at(-1)).toMatchObject({ type: 'message.delta' });
    expect(result).toMatchObject({
      outcome: 'failed',
      error: { code: 'model_error', message: 'upstream exploded' },
      messages: [{ role: 'assistant', content: 'Echo: partial answer', data: { incomplete: true } }],
    });
    expect(result.usage.calls).toEqual([expect.objectContaining({ outcome: 'error' })]);
  });

  it('stops a sleeping model call promptly when the signal aborts', async () => {
    const agent = await makeAgent(server, owner);
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 100);
    const { result, events } = await turn(agent, '/sleep 20000\ntoo late', { signal: controller.signal });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(result.error).toEqual({ code: 'cancelled', message: 'the run was cancelled' });
    expect(result.outcome).toBe('cancelled');
    expect(result.usage.calls).toEqual([expect.objectContaining({ outcome: 'cancelled' })]);
    expect(ofType(events, 'message.delta')).toEqual([]);
  });

  it('/sleep waits before answering when nobody aborts', async () => {
    const agent = await makeAgent(server, owner);
    const started = Date.now();
    const { result } = await turn(agent, '/sleep 150\nawake');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(result.text).toBe('Echo: awake');
  });

  it('ends with an empty reply when the message holds nothing to say', async () => {
    const agent = await makeAgent(server, owner);
    const { result, events } = await turn(agent, '/sleep 1');
    expect(result).toMatchObject({ outcome: 'completed', text: '' });
    expect(ofType(events, 'message.completed')).toEqual([
      { type: 'message.completed', text: '', agentId: agent.id },
    ]);
  });

  it('/tokens streams exactly n words', async () => {
    const agent = await makeAgent(server, owner);
    const { result, events } = await turn(agent, '/tokens 250');
    expect(ofType(events, 'message.delta')).toHaveLength(250);
    expect(result.text.split(' ')).toHaveLength(250);
    expect(result.usage.outputTokens).toBe(250);
  });

  it('stops at a tool that needs approval and returns the serialized RunState', async () => {
    const agent = await makeAgent(server, owner, { tools: ['demo.approval'] });
    const { result, events } = await turn(agent, '/tool demo.approval {"action": "deploy to production"}');
    expect(result.approval).toEqual({
      toolName: 'demo.approval',
      arguments: { action: 'deploy to production' },
      callId: expect.any(String),
      agentId: agent.id,
    });
    expect(ofType(events, 'tool.result')).toEqual([]);
    expect(result.outcome).toBe('waiting_approval');
    expect(result.usage.outcome).toBe('waiting_approval');
    const state = JSON.parse(result.state ?? '{}') as { currentAgent?: { name: string } };
    expect(state.currentAgent?.name).toBe(agent.slug);
  });

  it('fails with max_turns when the agent keeps calling tools', async () => {
    const agent = await makeAgent(server, owner, { tools: ['time.now'] });
    const { result } = await turn(agent, '/tool time.now\n/tool time.now\n/tool time.now', { maxTurns: 2 });
    expect(result.error).toEqual({
      code: 'max_turns',
      message: 'the agent did not finish within 2 model calls',
    });
  });

  it('fails with provider_not_configured for a provider without a key', async () => {
    const agent = await makeAgent(server, owner, { model: 'openai:gpt-4.1' });
    const { result, events } = await turn(agent, 'hi');
    expect(result.error).toEqual({
      code: 'provider_not_configured',
      message:
        'model provider openai has no API key: set OPENAI_API_KEY on the server or PUT /api/v1/model-providers with name openai',
    });
    expect(events).toEqual([]);
    expect(result.outcome).toBe('failed');
  });

  it('gives the model the conversation so far', async () => {
    const agent = await makeAgent(server, owner, { tools: ['time.now'] });
    const history: TurnMessage[] = [
      { role: 'user', agentId: agent.id, content: '/tool time.now', data: {} },
      { role: 'tool_call', agentId: agent.id, content: '{}', data: { toolName: 'time.now', callId: 'c1' } },
      {
        role: 'tool_result',
        agentId: agent.id,
        content: '{"iso":"x"}',
        data: { toolName: 'time.now', callId: 'c1' },
      },
      {
        role: 'tool_call',
        agentId: agent.id,
        content: '{}',
        data: { toolName: 'time.now', callId: 'cut-off' },
      },
      { role: 'assistant', agentId: agent.id, content: 'time.now returned: {"iso":"x"}', data: {} },
    ];
    const { result } = await turn(agent, 'and now?', { history });
    expect(result.text).toBe('Echo: and now?');
    // History words reach the model: more input than the new message alone.
    expect(result.usage.inputTokens).toBeGreaterThan(6);
  });
});

describe('http.get', () => {
  it('fetches from an allowed host and refuses any other', async () => {
    const org = await registerOwner(server, 'http');
    await allowHosts(server, org, ['127.0.0.1']);
    const agent = await makeAgent(server, org, { tools: ['http.get'] });
    const run = (input: string) =>
      server.domains.execution.runAgentTurn({
        orgId: org.orgId,
        agent,
        history: [],
        input,
        onEvent: () => {},
      });

    const ok = await run(`/tool http.get {"url": "${webUrl}/hello"}`);
    expect(ok.messages[1]).toMatchObject({ role: 'tool_result', data: { isError: false } });
    expect(JSON.parse(ok.messages[1]!.content)).toEqual({
      url: `${webUrl}/hello`,
      status: 200,
      contentType: 'text/plain',
      body: 'hello from the web',
      truncated: false,
    });

    const refused = await run('/tool http.get {"url": "http://localhost:1/"}');
    expect(refused.text).toBe(
      "http.get failed: host localhost is not on this organisation's allow-list for http.get",
    );
    const redirected = await run(`/tool http.get {"url": "${webUrl}/redirect-out"}`);
    expect(redirected.text).toBe(
      "http.get failed: host localhost is not on this organisation's allow-list for http.get",
    );
    const scheme = await run('/tool http.get {"url": "file:///etc/passwd"}');
    expect(scheme.text).toBe('http.get failed: only http and https URLs can be fetched, not file:');
  });
});
