import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../src/agents/present.ts';
import { makeAgent } from './agents-kit.ts';
import { addMember, call, registerOwner, type Session } from './factories.ts';
import { startTestServer, type TestServer } from './harness.ts';

let server: TestServer;
let owner: Session;

beforeAll(async () => {
  server = await startTestServer();
  owner = await registerOwner(server, 'agents');
});
afterAll(async () => {
  await server?.close();
});

const api = <T = Record<string, unknown>>(method: string, path: string, body?: unknown, session = owner) =>
  call<T>(server, method, `/api/v1${path}`, { token: session.accessToken, body });

interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

describe('agents CRUD', () => {
  it('creates an agent with defaults, a slug from its name, and version 1', async () => {
    const res = await api<Agent>('POST', '/agents', { name: 'Billing Support!' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'Billing Support!',
      slug: 'billing-support',
      description: '',
      instructions: '',
      model: 'builtin:scripted',
      tools: [],
      handoffs: [],
      modelSettings: {},
      version: 1,
    });
    expect(res.body.id).toMatch(/^agt_/);

    const again = await api<Agent>('POST', '/agents', { name: 'billing support' });
    expect(again.body.slug).toBe('billing-support-2');
    const accents = await api<Agent>('POST', '/agents', { name: 'Équipe Été' });
    expect(accents.body.slug).toBe('equipe-ete');
  });

  it('reads, lists, updates and deletes', async () => {
    const agent = await makeAgent(server, owner, {
      tools: ['time.now', 'math.calculate'],
      modelSettings: { temperature: 0.2, maxTokens: 500 },
    });
    expect((await api('GET', `/agents/${agent.id}`)).body).toEqual(agent);

    const list = await api<{ items: Agent[]; nextCursor: string | null }>('GET', '/agents?limit=200');
    expect(list.status).toBe(200);
    expect(list.body.items.map((a) => a.id)).toContain(agent.id);

    const patched = await api<Agent>('PATCH', `/agents/${agent.id}`, {
      instructions: 'Answer in French.',
      tools: ['time.now'],
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      instructions: 'Answer in French.',
      tools: ['time.now'],
      version: 2,
    });
    expect(patched.body.updatedAt >= agent.updatedAt).toBe(true);

    expect((await api('DELETE', `/agents/${agent.id}`)).status).toBe(204);
    const gone = await api<ErrorBody>('GET', `/agents/${agent.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error).toMatchObject({ code: 'not_found', message: `agent ${agent.id} was not found` });
  });

  it('pages through agents with a cursor', async () => {
    const other = await registerOwner(server, 'pages');
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await makeAgent(server, other));
    const first = await api<{ items: Agent[]; nextCursor: string }>(
      'GET',
      '/agents?limit=2',
      undefined,
      other,
    );
    expect(first.body.items.map((a) => a.id)).toEqual(made.slice(0, 2).map((a) => a.id));
    const second = await api<{ items: Agent[]; nextCursor: string | null }>(
      'GET',
      `/agents?limit=2&cursor=${first.body.nextCursor}`,
      undefined,
      other,
    );
    expect(second.body.items.map((a) => a.id)).toEqual([made[2]!.id]);
    expect(second.body.nextCursor).toBeNull();
  });

  it('keeps a full snapshot of every version, newest first, and skips no-op changes', async () => {
    const agent = await makeAgent(server, owner, { instructions: 'v1' });
    await api('PATCH', `/agents/${agent.id}`, { instructions: 'v2' });
    await api('PATCH', `/agents/${agent.id}`, { instructions: 'v2' }); // no change, no version
    await api('PATCH', `/agents/${agent.id}`, { name: 'Renamed', tools: ['time.now'] });
    const res = await api<{
      items: Array<{ version: number; agent: Agent; changedBy: string }>;
      nextCursor: null;
    }>('GET', `/agents/${agent.id}/versions`);
    expect(res.status).toBe(200);
    expect(res.body.items.map((v) => [v.version, v.agent.instructions, v.agent.name])).toEqual([
      [3, 'v2', 'Renamed'],
      [2, 'v2', agent.name],
      [1, 'v1', agent.name],
    ]);
    expect(res.body.items[0]!.agent).toMatchObject({ id: agent.id, slug: agent.slug, tools: ['time.now'] });
    expect(res.body.items.every((v) => v.changedBy === owner.userId)).toBe(true);

    const page = await api<{ items: Array<{ version: number }>; nextCursor: string }>(
      'GET',
      `/agents/${agent.id}/versions?limit=2`,
    );
    expect(page.body.items.map((v) => v.version)).toEqual([3, 2]);
    const rest = await api<{ items: Array<{ version: number }>; nextCursor: null }>(
      'GET',
      `/agents/${agent.id}/versions?limit=2&cursor=${page.body.nextCursor}`,
    );
    expect(rest.body.items.map((v) => v.version)).toEqual([1]);
    expect(rest.body.nextCursor).toBeNull();
  });

  it('refuses a stale expectedVersion with 409', async () => {
    const agent = await makeAgent(server, owner);
    await api('PATCH', `/agents/${agent.id}`, { description: 'one' });
    const res = await api<ErrorBody>('PATCH', `/agents/${agent.id}`, {
      description: 'two',
      expectedVersion: 1,
    });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({
      code: 'version_conflict',
      message: `agent ${agent.id} is at version 2, not 1; reload it and try again`,
    });
  });

  it('records create, update and delete in the audit log', async () => {
    const agent = await makeAgent(server, owner);
    await api('PATCH', `/agents/${agent.id}`, { description: 'audited' });
    await api('DELETE', `/agents/${agent.id}`);
    const rows = await server.ctx.database.query<{ action: string; details: Record<string, unknown> }>(
      "select action, details from audit_log where resource_id = $1 and action like 'agent.%' order by id",
      [agent.id],
    );
    expect(rows.rows.map((r) => r.action)).toEqual(['agent.create', 'agent.update', 'agent.delete']);
    expect(rows.rows[1]!.details).toEqual({ version: 2, changed: ['description'] });
  });
});

describe('agent validation', () => {
  const expectError = async (
    res: { status: number; body: unknown },
    status: number,
    code: string,
    message: string,
  ) => {
    expect({ status: res.status, ...(res.body as ErrorBody).error }).toMatchObject({ status, code, message });
  };

  it('refuses unknown tools, naming them', async () => {
    await expectError(
      await api('POST', '/agents', { name: 'x', tools: ['time.now', 'files.delete_all'] }),
      400,
      'unknown_tool',
      'unknown tool "files.delete_all"; see GET /api/v1/tools',
    );
    await expectError(
      await api('POST', '/agents', { name: 'x', tools: ['a.b', 'c.d'] }),
      400,
      'unknown_tool',
      'unknown tools "a.b", "c.d"; see GET /api/v1/tools',
    );
  });

  it('refuses hand-offs to agents outside the org and to itself', async () => {
    const agent = await makeAgent(server, owner);
    const stranger = await makeAgent(server, await registerOwner(server, 'stranger'));
    await expectError(
      await api('PATCH', `/agents/${agent.id}`, { handoffs: [stranger.id] }),
      400,
      'invalid_handoff',
      `agent ${agent.id} cannot hand off to ${stranger.id}: not in this org`,
    );
    await expectError(
      await api('PATCH', `/agents/${agent.id}`, { handoffs: ['agt_nope'] }),
      400,
      'invalid_handoff',
      `agent ${agent.id} cannot hand off to agt_nope: not in this org`,
    );
    await expectError(
      await api('PATCH', `/agents/${agent.id}`, { handoffs: [agent.id] }),
      400,
      'invalid_handoff',
      `agent ${agent.id} cannot hand off to itself`,
    );
    const create = await api<ErrorBody>('POST', '/agents', { name: 'y', handoffs: [stranger.id] });
    expect(create.status).toBe(400);
    expect(create.body.error.message).toMatch(
      new RegExp(`^agent agt_\\w+ cannot hand off to ${stranger.id}: not in this org$`),
    );
  });

  it('refuses bad model strings and unknown providers', async () => {
    await expectError(
      await api('POST', '/agents', { name: 'x', model: 'gpt-4.1' }),
      400,
      'invalid_model',
      'model "gpt-4.1" must be provider:model, e.g. builtin:scripted or openai:gpt-4.1',
    );
    await expectError(
      await api('POST', '/agents', { name: 'x', model: 'builtin:gpt' }),
      400,
      'invalid_model',
      'the builtin provider has no model "gpt"; use builtin:scripted',
    );
    await expectError(
      await api('POST', '/agents', { name: 'x', model: 'ollama:llama3.1' }),
      400,
      'unknown_provider',
      `unknown model provider "ollama" in "ollama:llama3.1": use builtin, openai, anthropic or one of this organisation's providers (GET /api/v1/model-providers)`,
    );
    // Known providers are accepted without a key; a run says what is missing.
    expect((await api('POST', '/agents', { name: 'x', model: 'anthropic:claude-sonnet-4' })).status).toBe(
      201,
    );
  });

  it('refuses a taken slug and malformed fields', async () => {
    const agent = await makeAgent(server, owner);
    await expectError(
      await api('POST', '/agents', { name: 'x', slug: agent.slug }),
      409,
      'slug_taken',
      `an agent with slug "${agent.slug}" already exists in this organisation`,
    );
    const other = await makeAgent(server, owner);
    await expectError(
      await api('PATCH', `/agents/${other.id}`, { slug: agent.slug }),
      409,
      'slug_taken',
      `an agent with slug "${agent.slug}" already exists in this organisation`,
    );
    await expectError(
      await api('POST', '/agents', { name: 'x', slug: 'Not A Slug' }),
      400,
      'validation_failed',
      'body.slug: must be lower-case letters, digits and single dashes, e.g. billing-support',
    );
    const unknownSetting = await api<ErrorBody>('POST', '/agents', { name: 'x', modelSettings: { temp: 1 } });
    expect(unknownSetting.status).toBe(400);
    expect(unknownSetting.body.error.code).toBe('validation_failed');
    expect(unknownSetting.body.error.message).toContain('body.modelSettings');
  });

  it('refuses to delete an agent others hand off to, naming them', async () => {
    const specialist = await makeAgent(server, owner);
    const triage = await makeAgent(server, owner, { handoffs: [specialist.id] });
    await expectError(
      await api('DELETE', `/agents/${specialist.id}`),
      409,
      'agent_in_use',
      `agent ${specialist.id} is a hand-off target of ${triage.slug} (${triage.id}); remove it from their hand-offs first`,
    );
    await api('PATCH', `/agents/${triage.id}`, { handoffs: [] });
    expect((await api('DELETE', `/agents/${specialist.id}`)).status).toBe(204);
  });

  it('needs agents:write to change agents; a viewer may only read', async () => {
    const viewer = await addMember(server, owner, 'viewer');
    const agent = await makeAgent(server, owner);
    expect((await api('GET', `/agents/${agent.id}`, undefined, viewer)).status).toBe(200);
    const res = await api<ErrorBody>('PATCH', `/agents/${agent.id}`, { name: 'nope' }, viewer);
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({
      code: 'forbidden',
      message: 'this needs the agents:write permission',
    });
  });
});

describe('tenant isolation', () => {
  it("gives org B 404 on org A's agents and their versions, and lists none of them", async () => {
    const agent = await makeAgent(server, owner);
    const b = await registerOwner(server, 'agents-b');
    for (const [method, path, body] of [
      ['GET', `/agents/${agent.id}`, undefined],
      ['PATCH', `/agents/${agent.id}`, { name: 'changed by B' }],
      ['DELETE', `/agents/${agent.id}`, undefined],
      ['GET', `/agents/${agent.id}/versions`, undefined],
    ] as const) {
      const res = await api<ErrorBody>(method, path, body, b);
      expect({ method, status: res.status, code: res.body.error.code }).toEqual({
        method,
        status: 404,
        code: 'not_found',
      });
    }
    expect(JSON.stringify((await api('GET', '/agents', undefined, b)).body)).not.toContain(agent.id);
    expect(JSON.stringify((await api('GET', '/tools', undefined, b)).body)).not.toContain(agent.id);
    expect((await api<Agent>('GET', `/agents/${agent.id}`)).body.name).toBe(agent.name);
  });
});
