import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAgent } from './agents-kit.ts';
import { addMember, call, registerOwner, type Session } from './factories.ts';
import { startTestServer, type TestServer } from './harness.ts';

let server: TestServer;
let owner: Session;

beforeAll(async () => {
  server = await startTestServer();
  owner = await registerOwner(server, 'settings');
});
afterAll(async () => {
  await server?.close();
});

const api = <T = Record<string, unknown>>(method: string, path: string, body?: unknown, session = owner) =>
  call<T>(server, method, `/api/v1${path}`, { token: session.accessToken, body });

interface ErrorBody {
  error: { code: string; message: string };
}

interface ToolItem {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
  requiresApproval: boolean;
  source: string;
  agents: Array<{ id: string; slug: string; name: string }>;
}

describe('GET /tools', () => {
  it('lists the built-in tools (and the workspace files tools) with schemas, approval flags and the agents that have them', async () => {
    const agent = await makeAgent(server, owner, { tools: ['math.calculate', 'demo.approval'] });
    const res = await api<{ items: ToolItem[] }>('GET', '/tools');
    expect(res.status).toBe(200);
    expect(res.body.items.map((t) => t.name)).toEqual([
      'demo.approval',
      'files.list',
      'files.read',
      'files.write',
      'http.get',
      'math.calculate',
      'time.now',
    ]);
    const byName = new Map(res.body.items.map((t) => [t.name, t]));
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
    expect((await api('GET', '/tools/http-allowlist')).body).toEqual({ hosts: [], updatedAt: null });
    const res = await api<{ hosts: string[]; updatedAt: string }>('PUT', '/tools/http-allowlist', {
      hosts: ['API.Example.com', '*.example.org', '127.0.0.1', 'api.example.com', '[::1]'],
    });
    expect(res.status).toBe(200);
    expect(res.body.hosts).toEqual(['*.example.org', '127.0.0.1', '[::1]', 'api.example.com']);
    expect(res.body.updatedAt).toMatch(/^\d{4}-/);
    expect((await api('GET', '/tools/http-allowlist')).body).toEqual(res.body);
  });

  it('refuses entries that are not plain hosts, naming them', async () => {
    const res = await api<ErrorBody>('PUT', '/tools/http-allowlist', {
      hosts: ['ok.example', 'https://x.example/path', 'host:8080'],
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual(
      expect.objectContaining({
        code: 'invalid_host',
        message:
          'not a host name: "https://x.example/path", "host:8080"; give a host (example.com), a sub-domain wildcard (*.example.com) or an IP address, without scheme, port or path',
      }),
    );
  });

  it('needs tools:write to change; members cannot', async () => {
    const member = await addMember(server, owner, 'member');
    expect((await api('GET', '/tools/http-allowlist', undefined, member)).status).toBe(200);
    const res = await api<ErrorBody>('PUT', '/tools/http-allowlist', { hosts: [] }, member);
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe('this needs the tools:write permission');
  });
});

interface ProviderItem {
  name: string;
  kind: string;
  baseUrl: string | null;
  apiKeySet: boolean;
  source: string;
  configured: boolean;
}

describe('model providers', () => {
  it('lists builtin, openai and anthropic; only builtin is ready without keys', async () => {
    const org = await registerOwner(server, 'providers');
    const res = await api<{ items: ProviderItem[] }>('GET', '/model-providers', undefined, org);
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
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
    const put = await api<ProviderItem>('PUT', '/model-providers', { name: 'openai', apiKey: secret }, org);
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ name: 'openai', source: 'org', apiKeySet: true, configured: true });
    expect(JSON.stringify(put.body)).not.toContain(secret);
    const list = await api('GET', '/model-providers', undefined, org);
    expect(JSON.stringify(list.body)).not.toContain(secret);

    const stored = await server.ctx.database.query<{ api_key_enc: string }>(
      'select api_key_enc from model_providers where org_id = $1',
      [org.orgId],
    );
    expect(stored.rows[0]!.api_key_enc).toMatch(/^v1\./);
    expect(stored.rows[0]!.api_key_enc).not.toContain(secret);
    const provider = await server.domains.providers.service.orgProvider(org.orgId, 'openai');
    expect(provider?.apiKey).toBe(secret);

    // Leaving the key out keeps it; null removes it.
    await api('PUT', '/model-providers', { name: 'openai', baseUrl: 'http://127.0.0.1:9/v1' }, org);
    expect((await server.domains.providers.service.orgProvider(org.orgId, 'openai'))?.apiKey).toBe(secret);
    const removed = await api<ProviderItem>('PUT', '/model-providers', { name: 'openai', apiKey: null }, org);
    expect(removed.body).toMatchObject({
      apiKeySet: false,
      configured: false,
      baseUrl: 'http://127.0.0.1:9/v1',
    });
    expect(server.logs.join('\n')).not.toContain(secret);
  });

  it('adds an OpenAI-compatible provider that agents can then use, and guards its removal', async () => {
    const org = await registerOwner(server, 'compat');
    const missingUrl = await api<ErrorBody>('PUT', '/model-providers', { name: 'ollama' }, org);
    expect(missingUrl.status).toBe(400);
    expect(missingUrl.body.error).toMatchObject({
      code: 'validation_failed',
      message:
        'provider "ollama" needs a baseUrl (its OpenAI-compatible endpoint, e.g. http://localhost:11434/v1)',
    });
    const put = await api<ProviderItem>(
      'PUT',
      '/model-providers',
      { name: 'ollama', baseUrl: 'http://localhost:11434/v1' },
      org,
    );
    expect(put.body).toMatchObject({
      kind: 'openai_compatible',
      apiKeySet: false,
      configured: true,
      source: 'org',
    });
    const agent = await makeAgent(server, org, { model: 'ollama:llama3.1:8b' });
    const refused = await api<ErrorBody>('DELETE', '/model-providers/ollama', undefined, org);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: 'provider_in_use',
      message: `model provider ollama is used by ${agent.slug} (${agent.id}); change their model first`,
    });
    await api('PATCH', `/agents/${agent.id}`, { model: 'builtin:scripted' }, org);
    expect((await api('DELETE', '/model-providers/ollama', undefined, org)).status).toBe(204);
    expect((await api<ErrorBody>('DELETE', '/model-providers/ollama', undefined, org)).body.error.code).toBe(
      'not_found',
    );
  });

  it('refuses to configure builtin, and needs model_providers:write', async () => {
    const res = await api<ErrorBody>('PUT', '/model-providers', { name: 'builtin', apiKey: 'x' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 'provider_builtin',
      message: 'the builtin provider has no settings to change',
    });
    const member = await addMember(server, owner, 'member');
    const forbidden = await api<ErrorBody>(
      'PUT',
      '/model-providers',
      { name: 'openai', apiKey: 'x' },
      member,
    );
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.message).toBe('this needs the model_providers:write permission');
  });

  it("keeps each org's settings to itself", async () => {
    const a = await registerOwner(server, 'prov-a');
    const b = await registerOwner(server, 'prov-b');
    await api('PUT', '/model-providers', { name: 'vllm', baseUrl: 'http://10.0.0.1:8000/v1' }, a);
    const bList = await api<{ items: ProviderItem[] }>('GET', '/model-providers', undefined, b);
    expect(bList.body.items.map((p) => p.name)).toEqual(['builtin', 'openai', 'anthropic']);
    const res = await api<ErrorBody>('DELETE', '/model-providers/vllm', undefined, b);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});
