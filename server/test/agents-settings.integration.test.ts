import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAgent } from './kit/agents.ts';
import { clientAs } from './kit/api-client.ts';
import { startTestServer, type TestServer } from './kit/test-server.ts';
import { addMember, registerOwner, type Session } from './kit/users.ts';

let server: TestServer;
let owner: Session;

beforeAll(async () => {
  server = await startTestServer();
  owner = await registerOwner(server, 'settings');
});
afterAll(async () => {
  await server?.close();
});

/** The typed client as `session`. */
const as = (session = owner) => clientAs(server, session);

describe('GET /tools', () => {
  it('lists the built-in tools (the workspace files and the fixer repository tools too) with schemas, approval flags and the agents that have them', async () => {
    const agent = await makeAgent(server, owner, { tools: ['math.calculate', 'demo.approval'] });
    const res = await as().GET('/api/v1/tools');
    expect(res.response.status).toBe(200);
    expect(res.data!.items.map((t) => t.name)).toEqual([
      'demo.approval',
      'files.list',
      'files.read',
      'files.write',
      'http.get',
      'math.calculate',
      // The fixer's tools: listed so an org sees them, answering only in a run that works a fix.
      'repo.list',
      'repo.propose_patch',
      'repo.read',
      'repo.search',
      'time.now',
    ]);
    const byName = new Map(res.data!.items.map((t) => [t.name, t]));
    expect(byName.get('math.calculate')).toMatchObject({
      requiresApproval: false,
      source: 'builtin',
      parameters: {
        type: 'object',
        properties: { expression: { type: 'string', maxLength: 500 } },
        required: ['expression'],
      },
      agents: [{ id: agent.id, slug: agent.slug, name: agent.name }],
    });
    expect(byName.get('demo.approval')?.requiresApproval).toBe(true);
    expect(byName.get('http.get')?.agents).toEqual([]);
    expect(byName.get('time.now')?.parameters).toMatchObject({
      properties: { timezone: { type: 'string' } },
    });
  });
});

describe('http.get allow-list', () => {
  it('starts empty, then stores normalised unique hosts', async () => {
    expect((await as().GET('/api/v1/tools/http-allowlist')).data!).toEqual({ hosts: [], updatedAt: null });
    const res = await as().PUT('/api/v1/tools/http-allowlist', {
      body: {
        hosts: ['API.Example.com', '*.example.org', '127.0.0.1', 'api.example.com', '[::1]'],
      },
    });
    expect(res.response.status).toBe(200);
    expect(res.data!.hosts).toEqual(['*.example.org', '127.0.0.1', '[::1]', 'api.example.com']);
    expect(res.data!.updatedAt).toMatch(/^\d{4}-/);
    expect((await as().GET('/api/v1/tools/http-allowlist')).data!).toEqual(res.data!);
  });

  it('refuses entries that are not plain hosts, naming them', async () => {
    const res = await as().PUT('/api/v1/tools/http-allowlist', {
      body: {
        hosts: ['ok.example', 'https://x.example/path', 'host:8080'],
      },
    });
    expect(res.response.status).toBe(400);
    expect(res.error!.error).toEqual(
      expect.objectContaining({
        code: 'invalid_host',
        message:
          'not a host name: "https://x.example/path", "host:8080"; give a host (example.com), a sub-domain wildcard (*.example.com) or an IP address, without scheme, port or path',
      }),
    );
  });

  it('needs tools:write to change; members cannot', async () => {
    const member = await addMember(server, owner, 'member');
    expect((await as(member).GET('/api/v1/tools/http-allowlist')).response.status).toBe(200);
    const res = await as(member).PUT('/api/v1/tools/http-allowlist', { body: { hosts: [] } });
    expect(res.response.status).toBe(403);
    expect(res.error!.error.message).toBe('this needs the tools:write permission');
  });
});

describe('model providers', () => {
  it('lists builtin, openai and anthropic; only builtin is ready without keys', async () => {
    const org = await registerOwner(server, 'providers');
    const res = await as(org).GET('/api/v1/model-providers');
    expect(res.response.status).toBe(200);
    expect(res.data!.items).toEqual([
      expect.objectContaining({ name: 'builtin', kind: 'builtin', source: 'builtin', configured: true }),
      expect.objectContaining({
        name: 'openai',
        kind: 'openai',
        source: 'server',
        configured: false,
        apiKeySet: false,
      }),
      expect.objectContaining({ name: 'anthropic', kind: 'anthropic', configured: false, apiKeySet: false }),
    ]);
  });

  it('stores org keys encrypted and never returns them', async () => {
    const org = await registerOwner(server, 'keys');
    const secret = `sk-test-${Date.now()}-secret`;
    const put = await as(org).PUT('/api/v1/model-providers', { body: { name: 'openai', apiKey: secret } });
    expect(put.response.status).toBe(200);
    expect(put.data).toMatchObject({ name: 'openai', source: 'org', apiKeySet: true, configured: true });
    expect(JSON.stringify(put.data)).not.toContain(secret);
    const list = await as(org).GET('/api/v1/model-providers');
    expect(JSON.stringify(list.data)).not.toContain(secret);

    const stored = await server.ctx.database.query<{ api_key_enc: string }>(
      'select api_key_enc from model_providers where org_id = $1',
      [org.orgId],
    );
    expect(stored.rows[0]!.api_key_enc).toMatch(/^v1\./);
    expect(stored.rows[0]!.api_key_enc).not.toContain(secret);
    const provider = await server.domains.providers.service.orgProvider(org.orgId, 'openai');
    expect(provider?.apiKey).toBe(secret);

    // Leaving the key out keeps it; null removes it.
    await as(org).PUT('/api/v1/model-providers', {
      body: { name: 'openai', baseUrl: 'http://127.0.0.1:9/v1' },
    });
    expect((await server.domains.providers.service.orgProvider(org.orgId, 'openai'))?.apiKey).toBe(secret);
    const removed = await as(org).PUT('/api/v1/model-providers', { body: { name: 'openai', apiKey: null } });
    expect(removed.data).toMatchObject({
      apiKeySet: false,
      configured: false,
      baseUrl: 'http://127.0.0.1:9/v1',
    });
    expect(server.logs.join('\n')).not.toContain(secret);
  });

  it('adds an OpenAI-compatible provider that agents can then use, and guards its removal', async () => {
    const org = await registerOwner(server, 'compat');
    const missingUrl = await as(org).PUT('/api/v1/model-providers', { body: { name: 'ollama' } });
    expect(missingUrl.response.status).toBe(400);
    expect(missingUrl.error!.error).toMatchObject({
      code: 'validation_failed',
      message:
        'provider "ollama" needs a baseUrl (its OpenAI-compatible endpoint, e.g. http://localhost:11434/v1)',
    });
    const put = await as(org).PUT('/api/v1/model-providers', {
      body: { name: 'ollama', baseUrl: 'http://localhost:11434/v1' },
    });
    expect(put.data).toMatchObject({
      kind: 'openai_compatible',
      apiKeySet: false,
      configured: true,
      source: 'org',
    });
    const agent = await makeAgent(server, org, { model: 'ollama:llama3.1:8b' });
    const refused = await as(org).DELETE('/api/v1/model-providers/{name}', {
      params: { path: { name: 'ollama' } },
    });
    expect(refused.response.status).toBe(409);
    expect(refused.error!.error).toMatchObject({
      code: 'provider_in_use',
      message: `model provider ollama is used by ${agent.slug} (${agent.id}); change their model first`,
    });
    await as(org).PATCH('/api/v1/agents/{id}', {
      params: { path: { id: agent.id } },
      body: { model: 'builtin:scripted' },
    });
    expect(
      (await as(org).DELETE('/api/v1/model-providers/{name}', { params: { path: { name: 'ollama' } } }))
        .response.status,
    ).toBe(204);
    expect(
      (await as(org).DELETE('/api/v1/model-providers/{name}', { params: { path: { name: 'ollama' } } }))
        .error!.error.code,
    ).toBe('not_found');
  });

  it('refuses to configure builtin, and needs model_providers:write', async () => {
    const res = await as().PUT('/api/v1/model-providers', { body: { name: 'builtin', apiKey: 'x' } });
    expect(res.response.status).toBe(400);
    expect(res.error!.error).toMatchObject({
      code: 'provider_builtin',
      message: 'the builtin provider has no settings to change',
    });
    const member = await addMember(server, owner, 'member');
    const forbidden = await as(member).PUT('/api/v1/model-providers', {
      body: { name: 'openai', apiKey: 'x' },
    });
    expect(forbidden.response.status).toBe(403);
    expect(forbidden.error!.error.message).toBe('this needs the model_providers:write permission');
  });

  it("keeps each org's settings to itself", async () => {
    const a = await registerOwner(server, 'prov-a');
    const b = await registerOwner(server, 'prov-b');
    await as(a).PUT('/api/v1/model-providers', {
      body: { name: 'vllm', baseUrl: 'http://10.0.0.1:8000/v1' },
    });
    const bList = await as(b).GET('/api/v1/model-providers');
    expect(bList.data!.items.map((p) => p.name)).toEqual(['builtin', 'openai', 'anthropic']);
    const res = await as(b).DELETE('/api/v1/model-providers/{name}', { params: { path: { name: 'vllm' } } });
    expect(res.response.status).toBe(404);
    expect(res.error!.error.code).toBe('not_found');
  });
});
