import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAgent } from './kit/agents.ts';
import { clientAs } from './kit/api-client.ts';
import { startTestServer, type TestServer } from './kit/test-server.ts';
import { registerOwner, type Session } from './kit/users.ts';

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

const api = () => clientAs(server, owner);
const chat = (body: { agentId: string; message: string; conversationId?: string }) =>
  api().POST('/api/v1/chat', { body });
const health = (query: { window?: '1h'; ids?: string }, session = owner) =>
  clientAs(server, session).GET('/api/v1/agents/health', { params: { query } });

describe('list filters', () => {
  it('finds conversations by a piece of their title, any case, wildcards taken literally', async () => {
    const agent = await makeAgent(server, owner);
    for (const title of ['Quarterly REPORT draft', 'report: 100% done', 'Holiday plans']) {
      await api().POST('/api/v1/conversations', { body: { agentId: agent.id, title } });
    }
    const titles = async (q: string) =>
      (await api().GET('/api/v1/conversations', { params: { query: { q } } }))
        .data!.items.map((c) => c.title)
        .sort();
    expect(await titles('report')).toEqual(['Quarterly REPORT draft', 'report: 100% done']);
    expect(await titles('100%')).toEqual(['report: 100% done']);
    expect(await titles('%')).toEqual(['report: 100% done']);
    expect(await titles('_')).toEqual([]);
  });

  it("lists a conversation's runs", async () => {
    const agent = await makeAgent(server, owner);
    const turn = (await chat({ agentId: agent.id, message: 'first' })).data!;
    const next = (await chat({ agentId: agent.id, message: 'second', conversationId: turn.conversationId }))
      .data!;
    await chat({ agentId: agent.id, message: 'elsewhere' });
    const runs = await api().GET('/api/v1/runs', {
      params: { query: { conversationId: turn.conversationId } },
    });
    expect(runs.data!.items.map((r) => r.id)).toEqual([next.runId, turn.runId]);
  });

  it("answers many agents' health at once; other orgs' ids are left out", async () => {
    const [a, b] = [await makeAgent(server, owner), await makeAgent(server, owner)];
    await chat({ agentId: a.id, message: 'hi' });
    const stranger = await registerOwner(server, 'elsewhere');
    const theirs = await makeAgent(server, stranger);

    const some = await health({ window: '1h', ids: [a.id, b.id, theirs.id, a.id].join(',') });
    expect(some.response.status).toBe(200);
    expect(some.data!.items.map((h) => h.agentId).sort()).toEqual([a.id, b.id].sort());
    expect(some.data!.items.find((h) => h.agentId === a.id)?.requests).toBe(1);
    const single = await api().GET('/api/v1/agents/{id}/health', {
      params: { path: { id: a.id }, query: { window: '1h' } },
    });
    expect(some.data!.items.find((h) => h.agentId === a.id)).toMatchObject({
      requests: single.data!.requests,
    });

    const all = await health({}, stranger);
    const starter = (await clientAs(server, stranger).GET('/api/v1/agents')).data!.items[0]!;
    expect(starter.name).toBe('Assistant');
    expect(all.data!.items.map((h) => h.agentId).sort()).toEqual([starter.id, theirs.id].sort());
    const tooMany = await health({ ids: Array.from({ length: 101 }, (_, i) => `agt_${i}`).join(',') });
    expect(tooMany.response.status).toBe(400);
  });
});
