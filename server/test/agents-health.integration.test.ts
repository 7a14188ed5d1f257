import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelCallUsage } from '../src/execution/events.ts';
import { makeAgent } from './kit/agents.ts';
import { clientAs } from './kit/api-client.ts';
import { startTestServer, type TestServer } from './kit/test-server.ts';
import { registerOwner, type Session } from './kit/users.ts';

let server: TestServer;
let owner: Session;
let other: Session;

beforeAll(async () => {
  server = await startTestServer();
  owner = await registerOwner(server, 'health');
  other = await registerOwner(server, 'health-other');
});
afterAll(async () => {
  await server?.close();
});

const HOUR = 3_600_000;

function calls(agentId: string, specs: Array<Partial<ModelCallUsage>>): ModelCallUsage[] {
  return specs.map((s) => ({
    agentId,
    model: 'builtin:scripted',
    inputTokens: 10,
    outputTokens: 5,
    latencyMs: 100,
    outcome: 'ok',
    ...s,
  }));
}

/** The agent's health; `window` is a string so a test can send one the API does not know. */
function health(session: Session, agentId: string, window?: string) {
  return clientAs(server, session).GET('/api/v1/agents/{id}/health', {
    params: { path: { id: agentId }, query: window ? { window: window as '1h' } : {} },
  });
}

describe('GET /agents/{id}/health', () => {
  it('says idle, with nothing to measure, for an agent that never called its model', async () => {
    const agent = await makeAgent(server, owner);
    const res = await health(owner, agent.id);
    expect(res.response.status).toBe(200);
    expect(res.data).toEqual({
      agentId: agent.id,
      window: '24h',
      since: expect.any(String),
      until: expect.any(String),
      status: 'idle',
      requests: 0,
      succeeded: 0,
      errors: 0,
      cancelled: 0,
      successRate: null,
      latencyMs: { p50: null, p95: null },
      tokens: { input: 0, output: 0 },
      lastCallAt: null,
      lastError: null,
    });
    expect(Date.parse(res.data!.until) - Date.parse(res.data!.since)).toBe(24 * HOUR);
  });

  it('counts outcomes, latency percentiles and tokens per window', async () => {
    const agent = await makeAgent(server, owner);
    const now = Date.now();
    const usage = server.domains.usage.service;
    const recent = new Date(now - 10 * 60_000);
    await usage.recordModelCalls(
      owner.orgId,
      { agentId: agent.id, conversationId: 'cnv_test' },
      calls(agent.id, [
        { latencyMs: 100 },
        { latencyMs: 200 },
        { latencyMs: 300 },
        { latencyMs: 400, inputTokens: 1000, outputTokens: 2000 },
        { outcome: 'error', errorCode: 'model_timeout', latencyMs: 9000, outputTokens: 0 },
        { outcome: 'cancelled', latencyMs: 50, outputTokens: 0 },
      ]),
      { at: recent },
    );
    await usage.recordModelCalls(
      owner.orgId,
      { agentId: agent.id, runId: 'run_test' },
      calls(agent.id, [{ outcome: 'error', latencyMs: 10 }, { latencyMs: 1000 }]),
      { at: new Date(now - 5 * HOUR) },
    );
    await usage.recordModelCalls(
      owner.orgId,
      { agentId: agent.id },
      calls(agent.id, [
        { outcome: 'error' },
        { outcome: 'error' },
        { outcome: 'error' },
        { outcome: 'error' },
      ]),
      { at: new Date(now - 3 * 24 * HOUR) },
    );
    // Outside every window: counts only for lastCallAt, which it does not win.
    await usage.recordModelCalls(owner.orgId, { agentId: agent.id }, calls(agent.id, [{}]), {
      at: new Date(now - 10 * 24 * HOUR),
    });

    const hour = await health(owner, agent.id, '1h');
    expect(hour.response.status).toBe(200);
    expect(hour.data).toMatchObject({
      window: '1h',
      status: 'degraded',
      requests: 6,
      succeeded: 4,
      errors: 1,
      cancelled: 1,
      successRate: 0.8,
      // percentile_cont over 100, 200, 300, 400: the failed 9 s call is not a latency of the model's answers.
      latencyMs: { p50: 250, p95: 385 },
      tokens: { input: 1050, output: 2015 },
      lastCallAt: recent.toISOString(),
      lastError: { code: 'model_timeout', at: recent.toISOString() },
    });

    const day = await health(owner, agent.id);
    expect(day.data).toMatchObject({
      window: '24h',
      status: 'degraded',
      requests: 8,
      succeeded: 5,
      errors: 2,
      successRate: 5 / 7,
      latencyMs: { p50: 300, p95: 880 },
    });

    const week = await health(owner, agent.id, '7d');
    expect(week.data).toMatchObject({
      window: '7d',
      status: 'failing',
      requests: 12,
      succeeded: 5,
      errors: 6,
      successRate: 5 / 11,
      lastError: { code: 'model_timeout', at: recent.toISOString() },
    });
  });

  it('records a real turn: a failing model call keeps its error code', async () => {
    const agent = await makeAgent(server, owner);
    const run = (input: string) =>
      server.domains.execution.runAgentTurn({
        orgId: owner.orgId,
        agent,
        history: [],
        input,
        onEvent: () => {},
      });
    const ok = await run('hello there');
    const failed = await run('/fail the model is down');
    for (const turn of [ok, failed]) {
      await server.domains.usage.service.recordModelCalls(
        owner.orgId,
        { agentId: agent.id },
        turn.usage.calls,
      );
    }
    expect(failed.usage.calls).toEqual([
      expect.objectContaining({ outcome: 'error', errorCode: 'model_error', agentId: agent.id }),
    ]);
    const res = await health(owner, agent.id, '1h');
    expect(res.data).toMatchObject({
      // 1 of 2: at the line between degraded and failing, which is still degraded.
      status: 'degraded',
      requests: 2,
      succeeded: 1,
      errors: 1,
      successRate: 0.5,
      tokens: { output: ok.usage.outputTokens },
      lastError: { code: 'model_error' },
    });
    expect(res.data!.lastCallAt).not.toBeNull();
  });

  it("counts only the org's own records, and hides other orgs' agents", async () => {
    const agent = await makeAgent(server, owner);
    // Rows of another org that name this agent's id must not leak into its health.
    await server.domains.usage.service.recordModelCalls(
      other.orgId,
      { agentId: agent.id },
      calls(agent.id, [{}, {}]),
    );
    const mine = await health(owner, agent.id);
    expect(mine.data).toMatchObject({ status: 'idle', requests: 0, lastCallAt: null });

    const theirs = await health(other, agent.id);
    expect(theirs.response.status).toBe(404);
    expect(theirs.error).toMatchObject({
      error: { code: 'not_found', message: `agent ${agent.id} was not found` },
    });
  });

  it('refuses an unknown window', async () => {
    const agent = await makeAgent(server, owner);
    const res = await health(owner, agent.id, '2d');
    expect(res.response.status).toBe(400);
    expect(res.error).toMatchObject({
      error: {
        code: 'validation_failed',
        message: 'querystring.window: Invalid option: expected one of "1h"|"24h"|"7d"',
      },
    });
  });
});
