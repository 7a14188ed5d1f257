import type { SwitchboardClient } from '@switchboard/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAgent } from './kit/agents.ts';
import { clientAs, rawRequest } from './kit/api-client.ts';
import { makeApiKey } from './kit/chat.ts';
import { startTestServer, type TestServer } from './kit/test-server.ts';
import { addMember, registerOwner, type Session } from './kit/users.ts';

/**
 * `Idempotency-Key` on mutations (API.md): a repeat gets the first answer and changes nothing. The slow
 * route is a test route outside the API document, so it is called raw.
 */

let server: TestServer;
let owner: Session;
let api: SwitchboardClient;
// The test route waits here until the test lets it finish, so a repeat can arrive while it runs.
let releaseSlow: (() => void) | undefined;

beforeAll(async () => {
  server = await startTestServer({
    testRoutes: (app) => {
      app.post('/test/slow', { config: { auth: 'authenticated' } }, async () => {
        await new Promise<void>((resolve) => {
          releaseSlow = resolve;
        });
        return { done: true };
      });
    },
  });
  owner = await registerOwner(server, 'idem');
  api = clientAs(server, owner);
});
afterAll(async () => {
  await server?.close();
});

const withKey = (key: string) => ({ headers: { 'idempotency-key': key } });

async function agentNames(): Promise<string[]> {
  const res = await api.GET('/api/v1/agents', { params: { query: { limit: 200 } } });
  return res.data!.items.map((a) => a.name);
}

describe('Idempotency-Key', () => {
  it('answers a repeat with the first answer and does the work once', async () => {
    const first = await api.POST('/api/v1/agents', { ...withKey('create-1'), body: { name: 'Once only' } });
    const again = await api.POST('/api/v1/agents', { ...withKey('create-1'), body: { name: 'Once only' } });
    expect(first.response.status).toBe(201);
    expect(again.response.status).toBe(201);
    expect(again.data).toEqual(first.data);
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    expect(first.response.headers.get('idempotent-replayed')).toBeNull();
    expect((await agentNames()).filter((n) => n === 'Once only')).toHaveLength(1);
  });

  it('replays a refusal too, and a delete answers 204 again rather than 404', async () => {
    const body = { name: 'Bad tools', tools: ['no.such.tool'] };
    const refused = await api.POST('/api/v1/agents', { ...withKey('refused-1'), body });
    expect(refused.response.status).toBe(400);
    const repeat = await api.POST('/api/v1/agents', { ...withKey('refused-1'), body });
    expect(repeat.response.status).toBe(400);
    expect(repeat.error).toEqual(refused.error);

    const agent = await makeAgent(server, owner);
    const remove = (key: string) =>
      api.DELETE('/api/v1/agents/{id}', { params: { path: { id: agent.id } }, ...withKey(key) });
    const removed = await remove('delete-1');
    const removedAgain = await remove('delete-1');
    expect([removed.response.status, removedAgain.response.status]).toEqual([204, 204]);
    const fresh = await remove('delete-2');
    expect(fresh.response.status).toBe(404);
  });

  it('refuses a key reused for a different request, a malformed key, and a repeat while the first runs', async () => {
    await api.POST('/api/v1/agents', { ...withKey('reuse-1'), body: { name: 'First body' } });
    const other = await api.POST('/api/v1/agents', { ...withKey('reuse-1'), body: { name: 'Other body' } });
    expect(other.response.status).toBe(422);
    expect(other.error).toMatchObject({ error: { code: 'idempotency_key_reused' } });

    const bad = await api.POST('/api/v1/agents', { ...withKey('x'.repeat(201)), body: { name: 'Long key' } });
    expect(bad.response.status).toBe(400);
    expect(bad.error).toMatchObject({ error: { code: 'invalid_idempotency_key' } });

    const slowCall = () =>
      rawRequest(server, 'POST', '/test/slow', { token: owner.accessToken, ...withKey('slow-1'), body: {} });
    const slow = slowCall();
    for (let i = 0; i < 200 && !releaseSlow; i++) await new Promise((r) => setTimeout(r, 10));
    const meanwhile = await slowCall();
    expect(meanwhile.status).toBe(409);
    expect(meanwhile.body).toMatchObject({ error: { code: 'idempotency_in_progress' } });
    expect(meanwhile.headers.get('retry-after')).toBe('1');
    releaseSlow?.();
    expect((await slow).body).toEqual({ done: true });
    const after = await slowCall();
    expect(after.body).toEqual({ done: true });
    expect(after.headers.get('idempotent-replayed')).toBe('true');
  });

  it("keeps each caller's keys apart", async () => {
    const admin = await addMember(server, owner, 'admin');
    const mine = await api.POST('/api/v1/agents', { ...withKey('shared-key'), body: { name: 'Shared key' } });
    const theirs = await clientAs(server, admin).POST('/api/v1/agents', {
      ...withKey('shared-key'),
      body: { name: 'Shared key' },
    });
    expect([mine.response.status, theirs.response.status]).toEqual([201, 201]);
    // The admin's request really ran: a second agent, not the owner's answer.
    expect(theirs.data!.id).not.toBe(mine.data!.id);
    expect(theirs.response.headers.get('idempotent-replayed')).toBeNull();
  });

  it('a chat turn repeated with its key is the same turn, in one conversation', async () => {
    const agent = await makeAgent(server, owner);
    const body = { agentId: agent.id, message: 'only once please' };
    const first = await api.POST('/api/v1/chat', { ...withKey('chat-1'), body });
    const again = await api.POST('/api/v1/chat', { ...withKey('chat-1'), body });
    expect(again.data).toMatchObject({
      runId: first.data!.runId,
      conversationId: first.data!.conversationId,
    });
    expect(again.data!.reply).toBe('Echo: only once please');
    const conversations = await api.GET('/api/v1/conversations');
    expect(conversations.data!.items.filter((c) => c.agentId === agent.id)).toHaveLength(1);
  });

  it('the OpenAI surface does not replay completions (OpenAI clients send a key on every call)', async () => {
    const agent = await makeAgent(server, owner);
    const asKey = clientAs(server, await makeApiKey(server, owner, ['chat:write']));
    const ask = () =>
      asKey.POST('/v1/chat/completions', {
        headers: { 'idempotency-key': 'stainless-node-retry-1' },
        body: { model: agent.slug, messages: [{ role: 'user', content: 'hi' }] },
      });
    const [a, b] = [await ask(), await ask()];
    expect(a.response.status).toBe(200);
    expect(b.data).toBeDefined();
    expect((b.data as { id: string }).id).not.toBe((a.data as { id: string }).id);
  });
});
