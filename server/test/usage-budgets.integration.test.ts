import { createSwitchboardClient, type SwitchboardClient } from '@switchboard/client';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAgent } from './kit/agents.ts';
import { makeApiKey } from './kit/chat.ts';
import { type MockOpenAI, startMockOpenAI } from './kit/mock-openai.ts';
import { logLabels, runEvents, submitRun, waitForRun } from './kit/runs.ts';
import {
  startReplica,
  startTestServer,
  storageMode,
  type TestServer,
  uniqueSuffix,
} from './kit/test-server.ts';
import { addMember, registerOwner, type Session } from './kit/users.ts';

/**
 * Costs and budgets (issue "Usage, costs and budgets"): every model call is priced, budgets reserve a
 * call's worst case before it is made and settle it after, so a hard limit holds under concurrency.
 * The clock is the test's, so periods can be crossed.
 */

let mock: MockOpenAI;
let server: TestServer;
let now = new Date('2026-06-10T12:00:00Z');
const clock = () => now;
/** Moves the clock past a lease's idle time, so the room it holds goes back. */
const idle = () => {
  now = new Date(now.getTime() + 1_000);
};

beforeAll(async () => {
  mock = await startMockOpenAI();
  server = await startTestServer({
    clock,
    env: { OPENAI_API_KEY: 'sk-mock', OPENAI_BASE_URL: mock.url },
  });
});
afterAll(async () => {
  await server?.close();
  await mock?.close();
});

const apiOf = (s: Session): SwitchboardClient =>
  createSwitchboardClient({ baseUrl: server.url, getToken: () => s.accessToken });

/** An org whose builtin:scripted costs $1,000 per million output tokens: a 10-word reply is $0.01. */
async function pricedOrg(label: string) {
  const owner = await registerOwner(server, label);
  const api = apiOf(owner);
  const priced = await api.PUT('/api/v1/usage/prices/{model}', {
    params: { path: { model: 'builtin:scripted' } },
    body: { inputPerMTok: 0, cachedInputPerMTok: 0, outputPerMTok: 1000 },
  });
  expect(priced.response.status).toBe(200);
  const agent = await makeAgent(server, owner, { modelSettings: { maxTokens: 10 } });
  return { owner, api, agent };
}

async function chat(api: SwitchboardClient, agentId: string, message: string) {
  return api.POST('/api/v1/chat', { body: { agentId, message, detach: false, includeEvents: false } });
}

/** Settlements are written behind calls; this waits until a budget shows what was spent. */
async function budgetOf(
  api: SwitchboardClient,
  id: string,
  until: (b: { spentUsd: number; reservedUsd: number }) => boolean,
) {
  for (let i = 0; i < 2000; i++) {
    const { data } = await api.GET('/api/v1/usage/budgets/{id}', { params: { path: { id } } });
    if (data && until(data)) return data;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`budget ${id} never settled`);
}

describe('prices and costs', () => {
  it('lists built-in prices and the org’s own, and costs a call at the price in force', async () => {
    const { api, agent } = await pricedOrg('prices');
    const { data: prices } = await api.GET('/api/v1/usage/prices');
    expect(prices?.items.find((p) => p.model === 'openai:gpt-4.1')).toMatchObject({
      inputPerMTok: 2,
      cachedInputPerMTok: 0.5,
      outputPerMTok: 8,
      source: 'default',
    });
    expect(prices?.items.find((p) => p.model === 'builtin:scripted')).toMatchObject({
      outputPerMTok: 1000,
      source: 'org',
      defaultPrice: { inputPerMTok: 0, cachedInputPerMTok: 0, outputPerMTok: 0 },
    });

    const reply = await chat(api, agent.id, '/tokens 7');
    expect(reply.data?.usage).toMatchObject({ outputTokens: 7, costUsd: 0.007 });
    expect(reply.data?.usage?.calls[0]).toMatchObject({ outputTokens: 7, costUsd: 0.007 });

    // A new price applies to calls from then on; what was recorded keeps its cost.
    await api.PUT('/api/v1/usage/prices/{model}', {
      params: { path: { model: 'builtin:scripted' } },
      body: { inputPerMTok: 0, cachedInputPerMTok: 0, outputPerMTok: 2000 },
    });
    await chat(api, agent.id, '/tokens 3');
    const { data: summary } = await api.GET('/api/v1/usage/summary', {
      params: { query: { groupBy: 'agent' } },
    });
    expect(summary?.totals).toMatchObject({ calls: 2, outputTokens: 10, costUsd: 0.013 });
    expect(summary?.groups).toEqual([
      expect.objectContaining({ key: agent.id, label: agent.name, calls: 2, costUsd: 0.013 }),
    ]);
  });

  it('prices cached input tokens apart, as the provider reports them', async () => {
    const owner = await registerOwner(server, 'cached');
    const api = apiOf(owner);
    const agent = await makeAgent(server, owner, { model: 'openai:gpt-4.1' });
    mock.enqueue({
      text: 'cached answer',
      usage: { prompt_tokens: 1000, completion_tokens: 500, cached_tokens: 400 },
    });
    const reply = await chat(api, agent.id, 'use the cache');
    // 600 fresh × $2 + 400 cached × $0.50 + 500 out × $8, per million: $0.0054
    expect(reply.data?.usage?.calls[0]).toMatchObject({
      inputTokens: 1000,
      cachedInputTokens: 400,
      outputTokens: 500,
      costUsd: 0.0054,
    });
    const { data } = await api.GET('/api/v1/usage/summary', { params: { query: { groupBy: 'model' } } });
    expect(data?.groups[0]).toMatchObject({ key: 'openai:gpt-4.1', cachedInputTokens: 400, costUsd: 0.0054 });
  });

  it('draws a timeline with every bucket, and lists failed calls with their code and message', async () => {
    const { api, agent } = await pricedOrg('timeline');
    await chat(api, agent.id, '/tokens 2');
    const failed = await chat(api, agent.id, '/fail the upstream is down');
    expect(failed.response.status).toBe(502);
    const from = new Date(now.getTime() - 2 * 86_400_000).toISOString();
    const { data } = await api.GET('/api/v1/usage/timeline', {
      params: { query: { bucket: 'day', from, to: now.toISOString() } },
    });
    expect(
      data?.buckets.map((b) => b.calls),
      JSON.stringify(data),
    ).toEqual([0, 0, 2]);
    expect(data?.buckets.at(-1)).toMatchObject({ errors: 1, costUsd: 0.002 });
    const { data: errors } = await api.GET('/api/v1/usage/errors', { params: { query: {} } });
    expect(errors?.items).toEqual([
      expect.objectContaining({
        agentId: agent.id,
        model: 'builtin:scripted',
        code: 'model_error',
        message: 'the upstream is down',
      }),
    ]);
  });
});

describe('budgets', () => {
  it('admits exactly the calls a hard budget has room for, however many come at once', async () => {
    const { owner, api, agent } = await pricedOrg('concurrent');
    const { data: budget } = await api.POST('/api/v1/usage/budgets', {
      body: { scope: 'org', limitUsd: 0.05, period: 'total', hard: true, alertAt: [0.5] },
    });
    const client = new OpenAI({
      apiKey: await makeApiKey(server, owner, ['chat:write', 'agents:read']),
      baseURL: `${server.url}/v1`,
      maxRetries: 0,
    });
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, () =>
        client.chat.completions
          .create({ model: agent.slug, messages: [{ role: 'user', content: '/tokens 10' }] })
          .then(
            () => 'ok',
            (err: InstanceType<typeof OpenAI.APIError>) => `${err.status} ${err.type} ${err.code}`,
          ),
      ),
    );
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(5);
    expect(outcomes.filter((o) => o !== 'ok')).toEqual(
      Array(45).fill('429 insufficient_quota budget_exceeded'),
    );
    const settled = await budgetOf(api, budget!.id, (b) => b.reservedUsd === 0);
    expect(settled).toMatchObject({ spentUsd: 0.05, reservedUsd: 0, limitUsd: 0.05 });
  });

  it('holds room for the next calls while there is plenty, gives it back when idle, and drops it when the limit falls', async () => {
    const { api, agent } = await pricedOrg('leases');
    const { data: budget } = await api.POST('/api/v1/usage/budgets', {
      body: { scope: 'org', limitUsd: 10, period: 'month', hard: true, alertAt: [] },
    });
    expect((await chat(api, agent.id, '/tokens 4')).response.status).toBe(200);
    // The call spent $0.004; the lease asked for eight calls' worst case ($0.08) and keeps the rest.
    expect(await budgetOf(api, budget!.id, (b) => b.spentUsd === 0.004)).toMatchObject({
      reservedUsd: 0.076,
    });
    // The next call takes its worst case from the lease: nothing more is reserved.
    expect((await chat(api, agent.id, '/tokens 4')).response.status).toBe(200);
    expect(await budgetOf(api, budget!.id, (b) => b.spentUsd === 0.008)).toMatchObject({
      reservedUsd: 0.072,
    });
    // Idle, it gives everything back.
    idle();
    await budgetOf(api, budget!.id, (b) => b.reservedUsd === 0);

    expect((await chat(api, agent.id, '/tokens 4')).response.status).toBe(200);
    await budgetOf(api, budget!.id, (b) => b.spentUsd === 0.012 && b.reservedUsd === 0.076);
    // A lower limit closes the lease at once: the next call is judged by the new limit, not by the room
    // held under the old one.
    await api.PATCH('/api/v1/usage/budgets/{id}', {
      params: { path: { id: budget!.id } },
      body: { limitUsd: 0.015 },
    });
    expect((await chat(api, agent.id, '/tokens 4')).response.status).toBe(402);
    expect(await budgetOf(api, budget!.id, (b) => b.reservedUsd === 0)).toMatchObject({ spentUsd: 0.012 });
  });

  it('refuses a chat turn with 402 and says which budget, and a failed call releases what it held', async () => {
    const { owner, api, agent } = await pricedOrg('refuse');
    const { data: budget } = await api.POST('/api/v1/usage/budgets', {
      body: { scope: 'agent', scopeId: agent.id, limitUsd: 0.015, period: 'day', hard: true, alertAt: [] },
    });
    const failed = await chat(api, agent.id, '/fail boom');
    expect(failed.response.status).toBe(502);
    idle();
    expect(await budgetOf(api, budget!.id, (b) => b.reservedUsd === 0)).toMatchObject({ spentUsd: 0 });
    expect((await chat(api, agent.id, '/tokens 10')).response.status).toBe(200);
    // An inline turn's usage is written behind its answer: wait for it to count as spent.
    await budgetOf(api, budget!.id, (b) => b.spentUsd === 0.01 && b.reservedUsd === 0);
    const refused = await chat(api, agent.id, '/tokens 10');
    expect(refused.response.status).toBe(402);
    expect(refused.error?.error).toMatchObject({
      code: 'budget_exceeded',
      details: { budgetId: budget!.id, scope: 'agent', limitUsd: 0.015, spentUsd: 0.01 },
    });
    expect(refused.error?.error.message).toContain(`budget ${budget!.id}`);
    // Another agent of the org is not limited by it.
    const other = await makeAgent(server, owner, { modelSettings: { maxTokens: 10 } });
    expect((await chat(api, other.id, '/tokens 10')).response.status).toBe(200);
  });

  it('stops a background run between two model calls when the budget has no room for the second', async () => {
    const { owner, api } = await pricedOrg('mid-turn');
    const agent = await makeAgent(server, owner, { tools: ['time.now'], modelSettings: { maxTokens: 10 } });
    // Room for one call's worst case ($0.01): the tool call costs $0.001, and then the reply could
    // cost $0.01 more than the $0.0105 limit allows.
    const { data: budget } = await api.POST('/api/v1/usage/budgets', {
      body: { scope: 'org', limitUsd: 0.0105, period: 'day', hard: true, alertAt: [] },
    });
    const run = await submitRun(server, owner, { agentId: agent.id, input: '/tool time.now {}\nthe time' });
    const failed = await waitForRun(server, owner, run.id, ['failed', 'succeeded']);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'budget_exceeded' } });
    const labels = logLabels(await runEvents(server, owner, run.id));
    expect(labels).toContain('tool.result');
    expect(labels.at(-1)).toBe('run.failed(budget_exceeded)');
    idle();
    expect(await budgetOf(api, budget!.id, (b) => b.reservedUsd === 0)).toMatchObject({ spentUsd: 0.001 });
  });

  it('limits one API key or one user, not the others', async () => {
    const { owner, api, agent } = await pricedOrg('scopes');
    const member = await addMember(server, owner, 'member');
    const keyed = await makeApiKey(server, owner, ['chat:write', 'agents:read']);
    const keys = await api.GET('/api/v1/api-keys', { params: { query: {} } });
    const keyId = keys.data!.items[0]!.id;
    await api.POST('/api/v1/usage/budgets', {
      body: { scope: 'apiKey', scopeId: keyId, limitUsd: 0.005, period: 'month', hard: true, alertAt: [] },
    });
    await api.POST('/api/v1/usage/budgets', {
      body: {
        scope: 'user',
        scopeId: member.userId,
        limitUsd: 0.005,
        period: 'month',
        hard: true,
        alertAt: [],
      },
    });
    const asKey = createSwitchboardClient({ baseUrl: server.url, getToken: () => keyed });
    expect((await chat(asKey, agent.id, '/tokens 10')).response.status).toBe(402);
    expect((await chat(apiOf(member), agent.id, '/tokens 10')).response.status).toBe(402);
    expect((await chat(api, agent.id, '/tokens 10')).response.status).toBe(200);
  });

  it('resets at the start of the next period, in UTC', async () => {
    const { api, agent } = await pricedOrg('periods');
    const { data: budget } = await api.POST('/api/v1/usage/budgets', {
      body: { scope: 'org', limitUsd: 0.01, period: 'day', hard: true, alertAt: [] },
    });
    now = new Date('2026-06-11T23:59:00Z');
    expect((await chat(api, agent.id, '/tokens 10')).response.status).toBe(200);
    await budgetOf(api, budget!.id, (b) => b.spentUsd === 0.01);
    expect((await chat(api, agent.id, '/tokens 10')).response.status).toBe(402);
    now = new Date('2026-06-12T00:00:00Z');
    const fresh = await api.GET('/api/v1/usage/budgets/{id}', { params: { path: { id: budget!.id } } });
    expect(fresh.data).toMatchObject({
      spentUsd: 0,
      periodStart: '2026-06-12T00:00:00.000Z',
      resetsAt: '2026-06-13T00:00:00.000Z',
    });
    expect((await chat(api, agent.id, '/tokens 10')).response.status).toBe(200);
    now = new Date('2026-06-10T12:00:00Z');
  });

  it('starts a budget made mid-period with what the period already spent, in its scope', async () => {
    const { owner, api, agent } = await pricedOrg('mid-period');
    const idle = await makeAgent(server, owner, {});
    expect((await chat(api, agent.id, '/tokens 10')).response.status).toBe(200);
    const budget = async (body: { scope: 'org' | 'agent'; scopeId?: string; limitUsd: number }) =>
      (await api.POST('/api/v1/usage/budgets', { body: { period: 'day', hard: true, alertAt: [], ...body } }))
        .data;
    expect(await budget({ scope: 'org', limitUsd: 0.015 })).toMatchObject({ spentUsd: 0.01 });
    expect(await budget({ scope: 'agent', scopeId: agent.id, limitUsd: 1 })).toMatchObject({
      spentUsd: 0.01,
    });
    expect(await budget({ scope: 'agent', scopeId: idle.id, limitUsd: 1 })).toMatchObject({ spentUsd: 0 });
    // The spent cent leaves the org no room for another ten-word reply.
    expect((await chat(api, agent.id, '/tokens 10')).response.status).toBe(402);
  });

  it('sends each alert once per period, to the admins’ inbox, and a soft budget never refuses', async () => {
    const { owner, api, agent } = await pricedOrg('alerts');
    const viewer = await addMember(server, owner, 'viewer');
    const { data: budget } = await api.POST('/api/v1/usage/budgets', {
      body: { scope: 'org', limitUsd: 0.02, period: 'month', hard: false, alertAt: [0.5] },
    });
    for (let i = 0; i < 3; i++) expect((await chat(api, agent.id, '/tokens 10')).response.status).toBe(200);
    await budgetOf(api, budget!.id, (b) => b.spentUsd === 0.03);
    const notices = async (s: Session) =>
      (await apiOf(s).GET('/api/v1/inbox', { params: { query: { kind: 'notice' } } })).data?.items ?? [];
    await expect
      .poll(async () => (await notices(owner)).map((n) => n.title).sort())
      .toEqual([
        'The organisation reached its month budget of $0.02',
        'The organisation spent 50% of its month budget',
      ]);
    expect(await notices(viewer)).toEqual([]);
  });

  it('checks what a budget names and explains what it refuses', async () => {
    const { api } = await pricedOrg('validate');
    const orgWithId = await api.POST('/api/v1/usage/budgets', {
      body: { scope: 'org', scopeId: 'x', limitUsd: 1, period: 'day', hard: true, alertAt: [] },
    });
    expect(orgWithId.response.status).toBe(400);
    const stranger = await api.POST('/api/v1/usage/budgets', {
      body: { scope: 'agent', scopeId: 'agt_not_ours', limitUsd: 1, period: 'day', hard: true, alertAt: [] },
    });
    expect(stranger.error?.error).toMatchObject({
      code: 'validation_failed',
      message: "agent agt_not_ours is not one of this organisation's; a agent budget names one of them",
    });
    const negative = await api.POST('/api/v1/usage/budgets', {
      body: { scope: 'org', limitUsd: -1, period: 'day', hard: true, alertAt: [] },
    });
    expect(negative.response.status).toBe(400);
  });

  it('keeps one org’s budgets and prices from another', async () => {
    const a = await pricedOrg('iso-a');
    const b = await pricedOrg('iso-b');
    const { data: budget } = await a.api.POST('/api/v1/usage/budgets', {
      body: { scope: 'org', limitUsd: 1, period: 'day', hard: true, alertAt: [] },
    });
    const path = { params: { path: { id: budget!.id } } };
    expect((await b.api.GET('/api/v1/usage/budgets/{id}', path)).response.status).toBe(404);
    expect(
      (await b.api.PATCH('/api/v1/usage/budgets/{id}', { ...path, body: { limitUsd: 5 } })).response.status,
    ).toBe(404);
    expect((await b.api.DELETE('/api/v1/usage/budgets/{id}', path)).response.status).toBe(404);
    expect((await a.api.GET('/api/v1/usage/budgets/{id}', path)).data?.limitUsd).toBe(1);
    await b.api.PUT('/api/v1/usage/prices/{model}', {
      params: { path: { model: 'openai:gpt-4.1' } },
      body: { inputPerMTok: 9, cachedInputPerMTok: 9, outputPerMTok: 9 },
    });
    const aPrices = await a.api.GET('/api/v1/usage/prices');
    expect(aPrices.data?.items.find((p) => p.model === 'openai:gpt-4.1')?.source).toBe('default');
  });
});

const redisUrl = process.env.TEST_REDIS_URL;

describe.skipIf(!redisUrl || storageMode !== 'postgres')('budgets across replicas', () => {
  it('admits exactly the room of a hard budget when calls come through two replicas at once', async () => {
    const shared = { REDIS_URL: redisUrl!, REDIS_PREFIX: `sbtest:${uniqueSuffix()}:` };
    const one = await startTestServer({ env: shared });
    const two = await startReplica(one, shared);
    try {
      const owner = await registerOwner(one, 'replicas');
      const api = createSwitchboardClient({ baseUrl: one.url, getToken: () => owner.accessToken });
      await api.PUT('/api/v1/usage/prices/{model}', {
        params: { path: { model: 'builtin:scripted' } },
        body: { inputPerMTok: 0, cachedInputPerMTok: 0, outputPerMTok: 1000 },
      });
      const agent = await makeAgent(one, owner, { modelSettings: { maxTokens: 10 } });
      const { data: budget } = await api.POST('/api/v1/usage/budgets', {
        body: { scope: 'org', limitUsd: 0.05, period: 'total', hard: true, alertAt: [] },
      });
      const key = await makeApiKey(one, owner, ['chat:write', 'agents:read']);
      const clients = [one.url, two.url].map(
        (url) => new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0 }),
      );
      const outcomes = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          clients[i % 2]!.chat.completions.create({
            model: agent.slug,
            messages: [{ role: 'user', content: '/tokens 10' }],
          }).then(
            () => 'ok',
            (err: InstanceType<typeof OpenAI.APIError>) => String(err.status),
          ),
        ),
      );
      expect(outcomes.filter((o) => o === 'ok')).toHaveLength(5);
      expect(outcomes.filter((o) => o === '429')).toHaveLength(45);
      const settled = await budgetOf(api, budget!.id, (b) => b.reservedUsd === 0 && b.spentUsd > 0);
      expect(settled.spentUsd).toBe(0.05);
    } finally {
      await two.close();
      await one.close();
    }
  });
});
