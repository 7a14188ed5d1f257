import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAs, failure } from './kit/api-client.ts';
import { startTestServer, type TestServer } from './kit/test-server.ts';
import { addMember, registerOwner } from './kit/users.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

describe('a new org', () => {
  it('starts with an agent "Assistant" on the built-in model when the server has no provider', async () => {
    const owner = await registerOwner(server);
    const agents = await clientAs(server, owner).GET('/api/v1/agents');
    expect(agents.data?.items.map((a) => ({ name: a.name, slug: a.slug, model: a.model }))).toEqual([
      { name: 'Assistant', slug: 'assistant', model: 'builtin:scripted' },
    ]);
    const chat = await clientAs(server, owner).POST('/api/v1/chat', {
      body: { agentId: agents.data!.items[0]!.id, message: 'hello' },
    });
    expect(chat.data?.reply).toBe('Echo: hello');
  });

  it("starts the agent on the server's provider when one is configured", async () => {
    const withKey = await startTestServer({ env: { OPENAI_API_KEY: 'sk-test-not-used' } });
    try {
      const owner = await registerOwner(withKey);
      const agents = await clientAs(withKey, owner).GET('/api/v1/agents');
      expect(agents.data?.items.map((a) => a.model)).toEqual(['openai:gpt-4.1-mini']);
      const list = await clientAs(withKey, owner).GET('/api/v1/getting-started');
      expect(list.data?.steps.find((s) => s.id === 'provider')).toEqual({ id: 'provider', done: true });
    } finally {
      await withKey.close();
    }
  });
});

describe('the getting-started list', () => {
  it('ticks each step off from what the org really did, and stays put away per person', async () => {
    const owner = await registerOwner(server);
    const as = clientAs(server, owner);
    const steps = async () =>
      Object.fromEntries((await as.GET('/api/v1/getting-started')).data!.steps.map((s) => [s.id, s.done]));
    expect(await steps()).toEqual({ chat: false, provider: false, member: false, api_key: false });

    const agent = (await as.GET('/api/v1/agents')).data!.items[0]!;
    await as.POST('/api/v1/chat', { body: { agentId: agent.id, message: 'hi' } });
    const provider = await as.PUT('/api/v1/model-providers', {
      body: { name: 'openai', apiKey: 'sk-org-key-not-used' },
    });
    expect(provider.response.status).toBe(200);
    const member = await addMember(server, owner, 'member');
    await as.POST('/api/v1/api-keys', { body: { name: 'ci', scopes: ['agents:read'] } });
    expect(await steps()).toEqual({ chat: true, provider: true, member: true, api_key: true });
    expect((await as.GET('/api/v1/getting-started')).data).toMatchObject({
      dismissed: false,
      complete: true,
    });

    const put = await as.PUT('/api/v1/getting-started', { body: { dismissed: true } });
    expect(put.data?.dismissed).toBe(true);
    expect((await as.GET('/api/v1/getting-started')).data?.dismissed).toBe(true);
    // Another member of the same org still sees it.
    expect((await clientAs(server, member).GET('/api/v1/getting-started')).data?.dismissed).toBe(false);
  });

  it('belongs to people: an API key is told so', async () => {
    const owner = await registerOwner(server);
    const key = await clientAs(server, owner).POST('/api/v1/api-keys', {
      body: { name: 'reader', scopes: ['agents:read'] },
    });
    const res = await clientAs(server, key.data!.key).GET('/api/v1/getting-started');
    expect(failure(res)).toMatchObject({ status: 400, code: 'bad_request' });
  });
});
