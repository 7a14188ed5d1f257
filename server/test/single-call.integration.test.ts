import { Runner } from '@openai/agents';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Agent } from '../src/agents/present.ts';
import { createAgentTurnRunner, type RunAgentTurn, type RunTurnInput } from '../src/execution/agent-turn.ts';
import type { TurnEvent, TurnMessage } from '../src/execution/events.ts';
import { makeAgent } from './kit/agents.ts';
import { type MockOpenAI, type MockReply, startMockOpenAI } from './kit/mock-openai.ts';
import { startTestServer, type TestServer } from './kit/test-server.ts';
import { registerOwner, type Session } from './kit/users.ts';

/**
 * A one-call turn (an agent without tools, hand-offs or guardrails, not streamed) skips the SDK's
 * Runner (src/execution/single-call.ts). These tests hold it to the Runner: the same turns, once each
 * way against the same scripted upstream, must send the same requests and end the same.
 */

let mock: MockOpenAI;
let server: TestServer;
let owner: Session;
let runnerOnly: RunAgentTurn;
const history: TurnMessage[] = [
  { role: 'user', agentId: 'agt_x', content: 'Earlier question', data: {} },
  { role: 'assistant', agentId: 'agt_x', content: 'Earlier answer', data: {} },
];

beforeAll(async () => {
  mock = await startMockOpenAI();
  server = await startTestServer({
    env: { OPENAI_API_KEY: 'sk-mock-server-key', OPENAI_BASE_URL: mock.url },
  });
  owner = await registerOwner(server, 'single-call');
  const { agents, tools, providers } = server.domains;
  runnerOnly = createAgentTurnRunner(
    {
      agents,
      tools: tools.registry,
      resolver: providers.resolver,
      providers: providers.service,
      log: server.app.log,
    },
    { singleCallTurns: false },
  );
});
afterAll(async () => {
  await server?.close();
  await mock?.close();
});
beforeEach(() => {
  mock.requests.length = 0;
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Call ids and latencies differ from run to run; everything else must not. */
function comparable(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (key, v) => (key === 'latencyMs' ? 0 : v)).replace(/call_[0-9a-f]{12}/g, 'call_*'),
  );
}

async function turnOnce(
  runTurn: RunAgentTurn,
  agent: Agent,
  replies: MockReply[],
  extra: Partial<RunTurnInput> = {},
) {
  mock.requests.length = 0;
  mock.enqueue(...replies);
  const events: TurnEvent[] = [];
  const result = await runTurn({
    orgId: owner.orgId,
    agent,
    history,
    input: 'What now?',
    stream: false,
    onEvent: (e) => events.push(e),
    ...extra,
  });
  return comparable({ result, events, upstream: mock.requests.map((r) => r.body) });
}

/** Runs the turn the one-call way and through the Runner; returns both, and how often the Runner ran. */
async function bothWays(agent: Agent, replies: MockReply[], extra: Partial<RunTurnInput> = {}) {
  const run = vi.spyOn(Runner.prototype, 'run');
  const direct = await turnOnce(server.domains.execution.runAgentTurn, agent, replies, extra);
  const runnerCallsDirect = run.mock.calls.length;
  const viaRunner = await turnOnce(runnerOnly, agent, replies, extra);
  return { direct, viaRunner, runnerCallsDirect, runnerCallsTotal: run.mock.calls.length };
}

describe('one-call turns', () => {
  it('send what the Runner sends and end as it does, without running it', async () => {
    const agent = await makeAgent(server, owner, {
      model: 'openai:gpt-mock',
      instructions: 'You are terse.',
      modelSettings: {
        temperature: 0.3,
        topP: 0.9,
        maxTokens: 64,
        toolChoice: 'auto',
        parallelToolCalls: true,
      },
    });
    const reply = { text: 'Now this.', usage: { prompt_tokens: 30, completion_tokens: 3 } };
    const { direct, viaRunner, runnerCallsDirect, runnerCallsTotal } = await bothWays(agent, [reply]);

    expect(runnerCallsDirect).toBe(0);
    expect(runnerCallsTotal).toBe(1);
    expect(direct).toEqual(viaRunner);
    expect(direct).toMatchObject({
      result: { outcome: 'completed', text: 'Now this.', usage: { inputTokens: 30, outputTokens: 3 } },
      upstream: [
        {
          model: 'gpt-mock',
          temperature: 0.3,
          top_p: 0.9,
          max_tokens: 64,
          messages: [
            { role: 'system', content: 'You are terse.' },
            { role: 'user', content: 'Earlier question' },
            { role: 'assistant', content: [{ type: 'text', text: 'Earlier answer' }] },
            { role: 'user', content: 'What now?' },
          ],
        },
      ],
    });
  });

  it('an empty reply ends the turn the same way', async () => {
    const agent = await makeAgent(server, owner, { model: 'openai:gpt-mock' });
    const { direct, viaRunner, runnerCallsDirect } = await bothWays(agent, [{ text: '' }]);
    expect(runnerCallsDirect).toBe(0);
    expect(direct).toEqual(viaRunner);
  });

  it('hand a reply that is not plain text to the Runner, which continues without asking the model again', async () => {
    const agent = await makeAgent(server, owner, { model: 'openai:gpt-mock' });
    // The model calls a tool this agent does not have: the SDK answers it with an error and asks again.
    const replies = [
      { toolCalls: [{ name: 'time_now', arguments: {} }] },
      { text: 'Without the tool, then.' },
    ];
    const { direct, viaRunner, runnerCallsDirect } = await bothWays(agent, replies);

    expect(runnerCallsDirect).toBe(1);
    expect(direct).toEqual(viaRunner);
    expect(direct).toMatchObject({
      result: { outcome: 'completed', text: 'Without the tool, then.', usage: { requests: 2 } },
      upstream: [{}, {}],
    });
  });

  it('fail as the Runner fails when the model answers with an error', async () => {
    const agent = await makeAgent(server, owner, { model: 'openai:gpt-mock' });
    const error = { error: { status: 400, message: 'bad request from the mock' } };
    const { direct, viaRunner } = await bothWays(agent, [error]);
    expect(direct).toEqual(viaRunner);
    expect(direct).toMatchObject({
      result: {
        outcome: 'failed',
        error: { code: 'model_error' },
        usage: { calls: [{ outcome: 'error', errorCode: 'model_error' }] },
      },
    });
  });

  it('end as cancelled when the caller has already gone', async () => {
    const agent = await makeAgent(server, owner, { model: 'openai:gpt-mock' });
    const { direct, viaRunner } = await bothWays(agent, [], { signal: AbortSignal.abort() });
    expect(direct).toEqual(viaRunner);
    expect(direct).toMatchObject({ result: { outcome: 'cancelled' }, upstream: [] });
  });

  it('leave streamed turns and agents with tools to the Runner', async () => {
    const run = vi.spyOn(Runner.prototype, 'run');
    const plain = await makeAgent(server, owner, { model: 'openai:gpt-mock' });
    const withTool = await makeAgent(server, owner, { model: 'openai:gpt-mock', tools: ['time.now'] });
    await turnOnce(server.domains.execution.runAgentTurn, plain, [{ text: 'streamed' }], { stream: true });
    await turnOnce(server.domains.execution.runAgentTurn, withTool, [{ text: 'with a tool' }]);
    expect(run).toHaveBeenCalledTimes(2);
  });
});
