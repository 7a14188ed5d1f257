import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAgent } from './agents-kit.ts';
import { makeApiKey } from './chat-kit.ts';
import { addMember, call, registerOwner, type Session } from './factories.ts';
import { startTestServer, type TestServer } from './harness.ts';

/** `Idempotency-Key` on mutations (API.md): a repeat gets the first answer and changes nothing. */

let server: TestServer;
let owner: Session;
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
});
afterAll(async () => {
  await server?.close();
});

const withKey = (key: string, session = owner) => ({
  token: session.accessToken,
  headers: { 'idempotency-key': key },
});

async function agentNames(): Promise<string[]> {
  const res = await call<{ items: Array<{ name: string }> }>(server, 'GET', '/api/v1/agents?limit=200', {
    token: owner.accessToken,
  });
  return res.body.items.map((a) => a.name);
}

describe('Idempotency-Key', () => {
  it('answers a repeat with the first answer and does the work once', async () => {
    const first = await call(server, 'POST', '/api/v1/agents', {
      ...withKey('create-1'),
      body: { name: 'Once only' },
    });
    const again = await call(server, 'POST', '/api/v1/agents', {
      ...withKey('create-1'),
      body: { name: 'Once only' },
    });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect((await agentNames()).filter((n) => n === 'Once only')).toHaveLength(1);
  });

  it('replays a refusal too, and a delete answers 204 again rather than 404', async () => {
    const body = { name: 'Bad tools', tools: ['no.such.tool'] };
    const refused = await call(server, 'POST', '/api/v1/agents', { ...withKey('refused-1'), body });
    expect(refused.status).toBe(400);
    const repeat = await call(server, 'POST', '/api/v1/agents', { ...withKey('refused-1'), body });
    expect(repeat.status).toBe(400);
    expect(repeat.body).toEqual(refused.body);

    const agent = await makeAgent(server, owner);
    const removed = await call(server, 'DELETE', `/api/v1/agents/${agent.id}`, withKey('delete-1'));
    const removedAgain = await call(server, 'DELETE', `/api/v1/agents/${agent.id}`, withKey('delete-1'));
    expect([removed.status, removedAgain.status]).toEqual([204, 204]);
    const fresh = await call(server, 'DELETE', `/api/v1/agents/${agent.id}`, withKey('delete-2'));
    expect(fresh.status).toBe(404);
  });

  it('refuses a key reused for a different request, a malformed key, and a repeat while the first runs', async () => {
    await call(server, 'POST', '/api/v1/agents', { ...withKey('reuse-1'), body: { name: 'First body' } });
    const other = await call(server, 'POST', '/api/v1/agents', {
      ...withKey('reuse-1'),
      body: { name: 'Other body' },
    });
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ error: { code: 'idempotency_key_reused' } });

    const bad = await call(server, 'POST', '/api/v1/agents', {
      ...withKey('x'.repeat(201)),
      body: { name: 'Long key' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'invalid_idempotency_key' } });

    const slow = call(server, 'POST', '/test/slow', { ...withKey('slow-1'), body: {} });
    for (let i = 0; i < 200 && !releaseSlow; i++) await new Promise((r) => setTimeout(r, 10));
    const meanwhile = await call(server, 'POST', '/test/slow', { ...withKey('slow-1'), body: {} });
    expect(meanwhile.status).toBe(409);
    expect(meanwhile.body).toMatchObject({ error: { code: 'idempotency_in_progress' } });
    expect(meanwhile.headers.get('retry-after')).toBe('1');
    releaseSlow?.();
    expect((await slow).body).toEqual({ done: true });
    const after = await call(server, 'POST', '/test/slow', { ...withKey('slow-1'), body: {} });
    expect(after.body).toEqual({ done: true });
    expect(after.headers.get('idempotent-replayed')).toBe('true');
  });

  it("keeps each caller's keys apart", async () => {
    const admin = await addMember(server, owner, 'admin');
    const mine = await call(server, 'POST', '/api/v1/agents', {
      ...withKey('shared-key'),
      body: { name: 'Shared key' },
    });
    const theirs = await call(server, 'POST', '/api/v1/agents', {
      ...withKey('shared-key', admin),
      body: { name: 'Shared key' },
    });
    expect([mine.status, theirs.status]).toEqual([201, 201]);
    // The admin's request really ran: a second agent, not the owner's answer.
    expect((theirs.body as { id: string }).id).not.toBe((mine.body as { id: string }).id);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
  });

  it('a chat turn repeated with its key is the same turn, in one conversation', async () => {
    const agent = await makeAgent(server, owner);
    const body = { agentId: agent.id, message: 'only once please' };
    const first = await call<{ runId: string; conversationId: string }>(server, 'POST', '/api/v1/chat', {
      ...withKey('chat-1'),
      body,
    });
    const again = await call<{ runId: string; conversationId: string; reply: string }>(
      server,
      'POST',
      '/api/v1/chat',
      {
        ...withKey('chat-1'),
        body,
      },
    );
    expect(again.body).toMatchObject({ runId: first.body.runId, conversationId: first.body.conversationId });
    expect(again.body.reply).toBe('Echo: only once please');
    const conversations = await call<{ items: Array<{ agentId: string }> }>(
      server,
      'GET',
      '/api/v1/conversations',
      {
        token: owner.accessToken,
      },
    );
    expect(conversations.body.items.filter((c) => c.agentId === agent.id)).toHaveLength(1);
  });

  it('the OpenAI surface does not replay completions (OpenAI clients send a key on every call)', async () => {
    const agent = await makeAgent(server, owner);
    const key = await makeApiKey(server, owner, ['chat:write']);
    const ask = () =>
      call<{ id: string }>(server, 'POST', '/v1/chat/completions', {
        token: key,
        headers: { 'idempotency-key': 'stainless-node-retry-1' },
        body: { model: agent.slug, messages: [{ role: 'user', content: 'hi' }] },
      });
    const [a, b] = [await ask(), await ask()];
    expect(a.status).toBe(200);
    expect(b.body.id).not.toBe(a.body.id);
  });
});
