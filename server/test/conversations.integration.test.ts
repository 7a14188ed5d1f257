import type { SwitchboardClient } from '@switchboard/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAgent } from './kit/agents.ts';
import { clientAs, type Schema } from './kit/api-client.ts';
import { startTestServer, type TestServer } from './kit/test-server.ts';
import { addMember, registerOwner, type Session } from './kit/users.ts';

let server: TestServer;
let owner: Session;
let agent: Schema<'Agent'>;
let api: SwitchboardClient;

beforeAll(async () => {
  server = await startTestServer();
  owner = await registerOwner(server, 'conversations');
  agent = await makeAgent(server, owner, { name: 'Helper', tools: ['math.calculate'] });
  api = clientAs(server, owner);
});
afterAll(async () => {
  await server?.close();
});

type Conversation = Schema<'Conversation'>;
const byId = (id: string) => ({ params: { path: { id } } });

async function startConversation(
  session = owner,
  body: Schema<'CreateConversationRequestInput'> = { agentId: agent.id },
) {
  const res = await clientAs(server, session).POST('/api/v1/conversations', { body });
  if (res.response.status !== 201) {
    throw new Error(`create conversation failed: ${res.response.status} ${JSON.stringify(res.error)}`);
  }
  return res.data!;
}

const messages = (id: string, query: { limit?: number; cursor?: string } = {}) =>
  api.GET('/api/v1/conversations/{id}/messages', { params: { path: { id }, query } });

/** One real turn through the executor, kept the way the chat endpoint will keep it. */
async function chatTurn(conversation: Conversation, input: string) {
  const conversations = server.domains.conversations;
  const history = await conversations.history(owner.orgId, conversation.id);
  await conversations.appendMessages(owner.orgId, conversation.id, [
    { role: 'user', agentId: agent.id, content: input, data: {} },
  ]);
  const result = await server.domains.execution.runAgentTurn({
    orgId: owner.orgId,
    agent,
    history,
    input,
    onEvent: () => {},
  });
  await conversations.appendMessages(owner.orgId, conversation.id, result.messages);
  return result;
}

describe('conversations', () => {
  it('starts a conversation with an agent of the org', async () => {
    const c = await startConversation();
    expect(c).toMatchObject({
      agentId: agent.id,
      title: 'Conversation with Helper',
      createdBy: owner.userId,
      messageCount: 0,
    });
    expect(c.id).toMatch(/^cnv_/);
    const titled = await startConversation(owner, { agentId: agent.id, title: '  Quarterly numbers ' });
    expect(titled.title).toBe('Quarterly numbers');
  });

  it('refuses an unknown agent and an agent of another org with 404', async () => {
    const missing = await api.POST('/api/v1/conversations', { body: { agentId: 'agt_missing' } });
    expect(missing.response.status).toBe(404);
    expect(missing.error?.error).toMatchObject({
      code: 'not_found',
      message: 'agent agt_missing was not found',
    });
    const foreign = await makeAgent(server, await registerOwner(server, 'foreign'));
    const res = await api.POST('/api/v1/conversations', { body: { agentId: foreign.id } });
    expect(res.response.status).toBe(404);
    expect(res.error?.error.message).toBe(`agent ${foreign.id} was not found`);
  });

  it('lists newest first, filters by agent, and pages', async () => {
    const org = await registerOwner(server, 'conv-list');
    const a1 = await makeAgent(server, org);
    const a2 = await makeAgent(server, org);
    const first = await startConversation(org, { agentId: a1.id });
    const second = await startConversation(org, { agentId: a2.id });
    const third = await startConversation(org, { agentId: a1.id });
    const list = async (query: { agentId?: string; limit?: number; cursor?: string } = {}) =>
      (await clientAs(server, org).GET('/api/v1/conversations', { params: { query } })).data!;
    const all = await list();
    expect(all.items.map((c) => c.id)).toEqual([third.id, second.id, first.id]);
    const byAgent = await list({ agentId: a1.id });
    expect(byAgent.items.map((c) => c.id)).toEqual([third.id, first.id]);
    const page = await list({ limit: 2 });
    expect(page.items.map((c) => c.id)).toEqual([third.id, second.id]);
    const rest = await list({ limit: 2, cursor: page.nextCursor! });
    expect(rest.items.map((c) => c.id)).toEqual([first.id]);
    expect(rest.nextCursor).toBeNull();
  });

  it('keeps every message of real turns in order, and pages them oldest first', async () => {
    const c = await startConversation();
    await chatTurn(c, 'hello');
    await chatTurn(c, '/tool math.calculate {"expression": "2 ^ 8"}');
    const res = await messages(c.id);
    expect(res.response.status).toBe(200);
    expect(res.data!.items.map((m) => [m.seq, m.role, m.content])).toEqual([
      [1, 'user', 'hello'],
      [2, 'assistant', 'Echo: hello'],
      [3, 'user', '/tool math.calculate {"expression": "2 ^ 8"}'],
      [4, 'tool_call', '{"expression": "2 ^ 8"}'],
      [5, 'tool_result', '{"expression":"2 ^ 8","result":256}'],
      [6, 'assistant', 'math.calculate returned: {"expression":"2 ^ 8","result":256}'],
    ]);
    expect(res.data!.items[3]).toMatchObject({
      agentId: agent.id,
      conversationId: c.id,
      data: { toolName: 'math.calculate', arguments: { expression: '2 ^ 8' } },
    });
    expect((await api.GET('/api/v1/conversations/{id}', byId(c.id))).data!.messageCount).toBe(6);

    const page = (await messages(c.id, { limit: 4 })).data!;
    expect(page.items.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    const rest = (await messages(c.id, { limit: 4, cursor: page.nextCursor! })).data!;
    expect(rest.items.map((m) => m.seq)).toEqual([5, 6]);
    expect(rest.nextCursor).toBeNull();

    // The stored history is what the next turn's model sees.
    const history = await server.domains.conversations.history(owner.orgId, c.id);
    expect(history.map((m) => m.role)).toEqual([
      'user',
      'assistant',
      'user',
      'tool_call',
      'tool_result',
      'assistant',
    ]);
    expect(await server.domains.conversations.history(owner.orgId, c.id, 2)).toEqual(history.slice(-2));
  });

  it('numbers messages appended concurrently without gaps or clashes', async () => {
    const c = await startConversation();
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        server.domains.conversations.appendMessages(owner.orgId, c.id, [
          { role: 'user', agentId: agent.id, content: `q${i}`, data: {} },
          { role: 'assistant', agentId: agent.id, content: `a${i}`, data: {} },
        ]),
      ),
    );
    const { items } = (await messages(c.id)).data!;
    expect(items.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (let i = 0; i < 10; i += 2) {
      expect(items[i + 1]!.content).toBe(items[i]!.content.replace('q', 'a'));
    }
  });

  it('renames and deletes, and the messages go with it', async () => {
    const c = await startConversation();
    await chatTurn(c, 'to be deleted');
    const renamed = await api.PATCH('/api/v1/conversations/{id}', {
      ...byId(c.id),
      body: { title: 'Renamed' },
    });
    expect(renamed.response.status).toBe(200);
    expect(renamed.data!.title).toBe('Renamed');
    const empty = await api.PATCH('/api/v1/conversations/{id}', { ...byId(c.id), body: { title: '  ' } });
    expect(empty.response.status).toBe(400);
    expect(empty.error?.error.code).toBe('validation_failed');

    expect((await api.DELETE('/api/v1/conversations/{id}', byId(c.id))).response.status).toBe(204);
    const gone = await messages(c.id);
    expect(gone.response.status).toBe(404);
    expect(gone.error?.error).toMatchObject({
      code: 'not_found',
      message: `conversation ${c.id} was not found`,
    });
    const left = await server.ctx.database.query(
      'select id from conversation_messages where conversation_id = $1',
      [c.id],
    );
    expect(left.rows).toEqual([]);
    const audit = await server.ctx.database.query<{ action: string }>(
      "select action from audit_log where resource_id = $1 and action like 'conversation.%' order by id",
      [c.id],
    );
    expect(audit.rows.map((r) => r.action)).toEqual(['conversation.rename', 'conversation.delete']);
  });

  it('keeps a conversation readable after its agent is deleted', async () => {
    const short = await makeAgent(server, owner);
    const c = await startConversation(owner, { agentId: short.id });
    await server.domains.conversations.appendMessages(owner.orgId, c.id, [
      { role: 'user', agentId: short.id, content: 'still here?', data: {} },
    ]);
    await api.DELETE('/api/v1/agents/{id}', byId(short.id));
    const res = await messages(c.id);
    expect(res.data!.items.map((m) => m.content)).toEqual(['still here?']);
  });

  it('lets a viewer read but not start, rename or delete', async () => {
    const viewer = await addMember(server, owner, 'viewer');
    const c = await startConversation();
    const asViewer = clientAs(server, viewer);
    expect((await asViewer.GET('/api/v1/conversations/{id}', byId(c.id))).response.status).toBe(200);
    const create = await asViewer.POST('/api/v1/conversations', { body: { agentId: agent.id } });
    expect(create.response.status).toBe(403);
    expect(create.error?.error.message).toBe('this needs the chat:write permission');
    const del = await asViewer.DELETE('/api/v1/conversations/{id}', byId(c.id));
    expect(del.response.status).toBe(403);
    expect(del.error?.error.message).toBe('this needs the conversations:write permission');
  });
});

describe('tenant isolation', () => {
  it("gives org B 404 on org A's conversations and their messages", async () => {
    const c = await startConversation();
    await chatTurn(c, 'private');
    const b = await registerOwner(server, 'conv-b');
    const asB = clientAs(server, b);
    const attempts = {
      'GET /conversations/{id}': () => asB.GET('/api/v1/conversations/{id}', byId(c.id)),
      'PATCH /conversations/{id}': () =>
        asB.PATCH('/api/v1/conversations/{id}', { ...byId(c.id), body: { title: 'changed by B' } }),
      'DELETE /conversations/{id}': () => asB.DELETE('/api/v1/conversations/{id}', byId(c.id)),
      'GET /conversations/{id}/messages': () => asB.GET('/api/v1/conversations/{id}/messages', byId(c.id)),
    };
    for (const [route, attempt] of Object.entries(attempts)) {
      const res = await attempt();
      expect({ route, status: res.response.status, code: res.error?.error.code }).toEqual({
        route,
        status: 404,
        code: 'not_found',
      });
    }
    await expect(server.domains.conversations.history(b.orgId, c.id)).rejects.toMatchObject({ status: 404 });
    await expect(
      server.domains.conversations.appendMessages(b.orgId, c.id, [
        { role: 'user', agentId: null, content: 'x', data: {} },
      ]),
    ).rejects.toMatchObject({ status: 404 });
    expect(JSON.stringify((await asB.GET('/api/v1/conversations')).data)).not.toContain(c.id);
    expect((await api.GET('/api/v1/conversations/{id}', byId(c.id))).data).toMatchObject({
      title: c.title,
      messageCount: 2,
    });
  });
});
