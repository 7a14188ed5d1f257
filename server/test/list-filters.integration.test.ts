import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAgent } from './agents-kit.ts';
import { call, registerOwner, type Session } from './factories.ts';
import { startTestServer, type TestServer } from './harness.ts';

/** What the console lists by: conversations by title, runs by conversation, many agents' health at once. */

let server: TestServer;
let owner: Session;

beforeAll(async () => {
  server = await startTestServer();
  owner = await registerOwner(server, 'lists');
});
afterAll(async () => {
  await server?.close();
});

const get = <T>(url: string, session = owner) => call<T>(server, 'GET', url, { token: session.accessToken });

describe('list filters', () => {
  it('finds conversations by a piece of their title, any case, wildcards taken literally', async () => {
    const agent = await makeAgent(server, owner);
    for (const title of ['Quarterly REPORT draft', 'report: 100% done', 'Holiday plans']) {
      await call(server, 'POST', '/api/v1/conversations', {
        token: owner.accessToken,
        body: { agentId: agent.id, title },
      });
    }
    const titles = async (q: string) =>
      (
        await get<{ items: Array<{ title: string }> }>(`/api/v1/conversations?q=${encodeURIComponent(q)}`)
      ).body.items
        .map((c) => c.title)
        .sort();
    expect(await titles('report')).toEqual(['Quarterly REPORT draft', 'report: 100% done']);
    expect(await titles('100%')).toEqual(['report: 100% done']);
    expect(await titles('%')).toEqual(['report: 100% done']);
    expect(await titles('_')).toEqual([]);
  });

  it("lists a conversation's runs", async () => {
    const agent = await makeAgent(server, owner);
    const turn = await call<{ runId: string; conversationId: string }>(server, 'POST', '/api/v1/chat', {
      token: owner.accessToken,
      body: { agentId: agent.id, message: 'first' },
    });
    const next = await call<{ runId: string }>(server, 'POST', '/api/v1/chat', {
      token: owner.accessToken,
      body: { agentId: agent.id, message: 'second', conversationId: turn.body.conversationId },
    });
    await call(server, 'POST', '/api/v1/chat', {
      token: owner.accessToken,
      body: { agentId: agent.id, message: 'elsewhere' },
    });
    const runs = await get<{ items: Array<{ id: string }> }>(
      `/api/v1/runs?conversationId=${turn.body.conversationId}`,
    );
    expect(runs.body.items.map((r) => r.id)).toEqual([next.body.runId, turn.body.runId]);
  });

  it("answers many agents' health at once; other orgs' ids are left out", async () => {
    const [a, b] = [await makeAgent(server, owner), await makeAgent(server, owner)];
    await call(server, 'POST', '/api/v1/chat', {
      token: owner.accessToken,
      body: { agentId: a.id, message: 'hi' },
    });
    const stranger = await registerOwner(server, 'elsewhere');
    const theirs = await makeAgent(server, stranger);

    const some = await get<{ items: Array<{ agentId: string; requests: number }> }>(
      `/api/v1/agents/health?window=1h&ids=${a.id},${b.id},${theirs.id},${a.id}`,
    );
    expect(some.status).toBe(200);
    expect(some.body.items.map((h) => h.agentId).sort()).toEqual([a.id, b.id].sort());
    expect(some.body.items.find((h) => h.agentId === a.id)?.requests).toBe(1);
    const single = await get<{ requests: number }>(`/api/v1/agents/${a.id}/health?window=1h`);
    expect(some.body.items.find((h) => h.agentId === a.id)).toMatchObject({ requests: single.body.requests });

    const all = await get<{ items: Array<{ agentId: string }> }>('/api/v1/agents/health', stranger);
    expect(all.body.items.map((h) => h.agentId)).toEqual([theirs.id]);
    const tooMany = await get(
      `/api/v1/agents/health?ids=${Array.from({ length: 101 }, (_, i) => `agt_${i}`).join(',')}`,
    );
    expect(tooMany.status).toBe(400);
  });
});
