import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../src/agents/present.ts';
import type { Conversation, Message } from '../src/conversations/present.ts';
import { makeAgent } from './agents-kit.ts';
import { addMember, call, registerOwner, type Session } from './factories.ts';
import { startTestServer, type TestServer } from './harness.ts';

let server: TestServer;
let owner: Session;
let agent: Agent;

beforeAll(async () => {
  server = await startTestServer();
  owner = await registerOwner(server, 'conversations');
  agent = await makeAgent(server, owner, { name: 'Helper', tools: ['math.calculate'] });
});
afterAll(async () => {
  await server?.close();
});

const api = <T = Record<string, unknown>>(method: string, path: string, body?: unknown, session = owner) =>
  call<T>(server, method, `/api/v1${path}`, { token: session.accessToken, body });

interface ErrorBody {
  error: { code: string; message: string };
}

async function startConversation(session = owner, body: Record<string, unknown> = { agentId: agent.id }) {
  const res = await api<Conversation>('POST', '/conversations', body, session);
  if (res.status !== 201)
    throw new Error(`create conversation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

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
    const missing = await api<ErrorBody>('POST', '/conversations', { agentId: 'agt_missing' });
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({
      code: 'not_found',
      message: 'agent agt_missing was not found',
    });
    const foreign = await makeAgent(server, await registerOwner(server, 'foreign'));
    const res = await api<ErrorBody>('POST', '/conversations', { agentId: foreign.id });
    expect(res.status).toBe(404);
    expect(res.body.error.message).toBe(`agent ${foreign.id} was not found`);
  });

  it('lists newest first, filters by agent, and pages', async () => {
    const org = await registerOwner(server, 'conv-list');
    const a1 = await makeAgent(server, org);
    const a2 = await makeAgent(server, org);
    const first = await startConversation(org, { agentId: a1.id });
    const second = await startConversation(org, { agentId: a2.id });
    const third = await startConversation(org, { agentId: a1.id });
    const all = await api<{ items: Conversation[] }>('GET', '/conversations', undefined, org);
    expect(all.body.items.map((c) => c.id)).toEqual([third.id, second.id, first.id]);
    const byAgent = await api<{ items: Conversation[] }>(
      'GET',
      `/conversations?agentId=${a1.id}`,
      undefined,
      org,
    );
    expect(byAgent.body.items.map((c) => c.id)).toEqual([third.id, first.id]);
    const page = await api<{ items: Conversation[]; nextCursor: string }>(
      'GET',
      '/conversations?limit=2',
      undefined,
      org,
    );
    expect(page.body.items.map((c) => c.id)).toEqual([third.id, second.id]);
    const rest = await api<{ items: Conversation[]; nextCursor: null }>(
      'GET',
      `/conversations?limit=2&cursor=${page.body.nextCursor}`,
      undefined,
      org,
    );
    expect(rest.body.items.map((c) => c.id)).toEqual([first.id]);
    expect(rest.body.nextCursor).toBeNull();
  });

  it('keeps every message of real turns in order, and pages them oldest first', async () => {
    const c = await startConversation();
    await chatTurn(c, 'hello');
    await chatTurn(c, '/tool math.calculate {"expression": "2 ^ 8"}');
    const res = await api<{ items: Message[]; nextCursor: null }>('GET', `/conversations/${c.id}/messages`);
    expect(res.status).toBe(200);
    expect(res.body.items.map((m) => [m.seq, m.role, m.content])).toEqual([
      [1, 'user', 'hello'],
      [2, 'assistant', 'Echo: hello'],
      [3, 'user', '/tool math.calculate {"expression": "2 ^ 8"}'],
      [4, 'tool_call', '{"expression": "2 ^ 8"}'],
      [5, 'tool_result', '{"expression":"2 ^ 8","result":256}'],
      [6, 'assistant', 'math.calculate returned: {"expression":"2 ^ 8","result":256}'],
    ]);
    expect(res.body.items[3]).toMatchObject({
      agentId: agent.id,
      conversationId: c.id,
      data: { toolName: 'math.calculate', arguments: { expression: '2 ^ 8' } },
    });
    expect((await api<Conversation>('GET', `/conversations/${c.id}`)).body.messageCount).toBe(6);

    const page = await api<{ items: Message[]; nextCursor: string }>(
      'GET',
      `/conversations/${c.id}/messages?limit=4`,
    );
    expect(page.body.items.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    const rest = await api<{ items: Message[]; nextCursor: null }>(
      'GET',
      `/conversations/${c.id}/messages?limit=4&cursor=${page.body.nextCursor}`,
    );
    expect(rest.body.items.map((m) => m.seq)).toEqual([5, 6]);
    expect(rest.body.nextCursor).toBeNull();

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
    const res = await api<{ items: Message[] }>('GET', `/conversations/${c.id}/messages`);
    expect(res.body.items.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (let i = 0; i < 10; i += 2) {
      expect(res.body.items[i + 1]!.content).toBe(res.body.items[i]!.content.replace('q', 'a'));
    }
  });

  it('renames and deletes, and the messages go with it', async () => {
    const c = await startConversation();
    await chatTurn(c, 'to be deleted');
    const renamed = await api<Conversation>('PATCH', `/conversations/${c.id}`, { title: 'Renamed' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.title).toBe('Renamed');
    const empty = await api<ErrorBody>('PATCH', `/conversations/${c.id}`, { title: '  ' });
    expect(empty.status).toBe(400);
    expect(empty.body.error.code).toBe('validation_failed');

    expect((await api('DELETE', `/conversations/${c.id}`)).status).toBe(204);
    const gone = await api<ErrorBody>('GET', `/conversations/${c.id}/messages`);
    expect(gone.status).toBe(404);
    expect(gone.body.error).toMatchObject({
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
    await api('DELETE', `/agents/${short.id}`);
    const res = await api<{ items: Message[] }>('GET', `/conversations/${c.id}/messages`);
    expect(res.body.items.map((m) => m.content)).toEqual(['still here?']);
  });

  it('lets a viewer read but not start, rename or delete', async () => {
    const viewer = await addMember(server, owner, 'viewer');
    const c = await startConversation();
    expect((await api('GET', `/conversations/${c.id}`, undefined, viewer)).status).toBe(200);
    const create = await api<ErrorBody>('POST', '/conversations', { agentId: agent.id }, viewer);
    expect(create.status).toBe(403);
    expect(create.body.error.message).toBe('this needs the chat:write permission');
    const del = await api<ErrorBody>('DELETE', `/conversations/${c.id}`, undefined, viewer);
    expect(del.status).toBe(403);
    expect(del.body.error.message).toBe('this needs the conversations:write permission');
  });
});

describe('tenant isolation', () => {
  it("gives org B 404 on org A's conversations and their messages", async () => {
    const c = await startConversation();
    await chatTurn(c, 'private');
    const b = await registerOwner(server, 'conv-b');
    for (const [method, path, body] of [
      ['GET', `/conversations/${c.id}`, undefined],
      ['PATCH', `/conversations/${c.id}`, { title: 'changed by B' }],
      ['DELETE', `/conversations/${c.id}`, undefined],
      ['GET', `/conversations/${c.id}/messages`, undefined],
    ] as const) {
      const res = await api<ErrorBody>(method, path, body, b);
      expect({ method, path, status: res.status, code: res.body.error.code }).toEqual({
        method,
        path,
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
    expect(JSON.stringify((await api('GET', '/conversations', undefined, b)).body)).not.toContain(c.id);
    expect((await api<Conversation>('GET', `/conversations/${c.id}`)).body).toMatchObject({
      title: c.title,
      messageCount: 2,
    });
  });
});
