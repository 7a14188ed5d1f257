import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAgent } from './kit/agents.ts';
import { clientAs, failure } from './kit/api-client.ts';
import { startTestServer, type TestServer } from './kit/test-server.ts';
import { addMember, registerOwner, type Session } from './kit/users.ts';

let server: TestServer;
let owner: Session;

beforeAll(async () => {
  server = await startTestServer();
  owner = await registerOwner(server, 'agents');
});
afterAll(async () => {
  await server?.close();
});

/** The typed client as `session`. */
const as = (session = owner) => clientAs(server, session);

describe('agents CRUD', () => {
  it('creates an agent with defaults, a slug from its name, and version 1', async () => {
    const res = await as().POST('/api/v1/agents', { body: { name: 'Billing Support!' } });
    expect(res.response.status).toBe(201);
    expect(res.data).toMatchObject({
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
    expect(res.data!.id).toMatch(/^agt_/);

    const again = await as().POST('/api/v1/agents', { body: { name: 'billing support' } });
    expect(again.data!.slug).toBe('billing-support-2');
    const accents = await as().POST('/api/v1/agents', { body: { name: 'Équipe Été' } });
    expect(accents.data!.slug).toBe('equipe-ete');
  });

  it('reads, lists, updates and deletes', async () => {
    const agent = await makeAgent(server, owner, {
      tools: ['time.now', 'math.calculate'],
      modelSettings: { temperature: 0.2, maxTokens: 500 },
    });
    expect((await as().GET('/api/v1/agents/{id}', { params: { path: { id: agent.id } } })).data!).toEqual(
      agent,
    );

    const list = await as().GET('/api/v1/agents', { params: { query: { limit: 200 } } });
    expect(list.response.status).toBe(200);
    expect(list.data!.items.map((a) => a.id)).toContain(agent.id);

    const patched = await as().PATCH('/api/v1/agents/{id}', {
      params: { path: { id: agent.id } },
      body: {
        instructions: 'Answer in French.',
        tools: ['time.now'],
      },
    });
    expect(patched.response.status).toBe(200);
    expect(patched.data).toMatchObject({
      instructions: 'Answer in French.',
      tools: ['time.now'],
      version: 2,
    });
    expect(patched.data!.updatedAt >= agent.updatedAt).toBe(true);

    expect(
      (await as().DELETE('/api/v1/agents/{id}', { params: { path: { id: agent.id } } })).response.status,
    ).toBe(204);
    const gone = await as().GET('/api/v1/agents/{id}', { params: { path: { id: agent.id } } });
    expect(gone.response.status).toBe(404);
    expect(gone.error!.error).toMatchObject({
      code: 'not_found',
      message: `agent ${agent.id} was not found`,
    });
  });

  it('pages through agents with a cursor', async () => {
    const other = await registerOwner(server, 'pages');
    // Every new org starts with its Assistant; page through it and three more.
    const made = [...(await as(other).GET('/api/v1/agents')).data!.items];
    expect(made.map((a) => a.name)).toEqual(['Assistant']);
    for (let i = 0; i < 3; i++) made.push(await makeAgent(server, other));
    const first = await as(other).GET('/api/v1/agents', { params: { query: { limit: 2 } } });
    expect(first.data!.items.map((a) => a.id)).toEqual(made.slice(0, 2).map((a) => a.id));
    const second = await as(other).GET('/api/v1/agents', {
      params: { query: { limit: 2, cursor: first.data!.nextCursor! } },
    });
    expect(second.data!.items.map((a) => a.id)).toEqual(made.slice(2, 4).map((a) => a.id));
    expect(second.data!.nextCursor).toBeNull();
  });

  it('keeps a full snapshot of every version, newest first, and skips no-op changes', async () => {
    const agent = await makeAgent(server, owner, { instructions: 'v1' });
    await as().PATCH('/api/v1/agents/{id}', {
      params: { path: { id: agent.id } },
      body: { instructions: 'v2' },
    });
    await as().PATCH('/api/v1/agents/{id}', {
      params: { path: { id: agent.id } },
      body: { instructions: 'v2' },
    }); // no change, no version
    await as().PATCH('/api/v1/agents/{id}', {
      params: { path: { id: agent.id } },
      body: { name: 'Renamed', tools: ['time.now'] },
    });
    const res = await as().GET('/api/v1/agents/{id}/versions', { params: { path: { id: agent.id } } });
    expect(res.response.status).toBe(200);
    expect(res.data!.items.map((v) => [v.version, v.agent.instructions, v.agent.name])).toEqual([
      [3, 'v2', 'Renamed'],
      [2, 'v2', agent.name],
      [1, 'v1', agent.name],
    ]);
    expect(res.data!.items[0]!.agent).toMatchObject({ id: agent.id, slug: agent.slug, tools: ['time.now'] });
    expect(res.data!.items.every((v) => v.changedBy === owner.userId)).toBe(true);

    const page = await as().GET('/api/v1/agents/{id}/versions', {
      params: { path: { id: agent.id }, query: { limit: 2 } },
    });
    expect(page.data!.items.map((v) => v.version)).toEqual([3, 2]);
    const rest = await as().GET('/api/v1/agents/{id}/versions', {
      params: { path: { id: agent.id }, query: { limit: 2, cursor: page.data!.nextCursor! } },
    });
    expect(rest.data!.items.map((v) => v.version)).toEqual([1]);
    expect(rest.data!.nextCursor).toBeNull();
  });

  it('refuses a stale expectedVersion with 409', async () => {
    const agent = await makeAgent(server, owner);
    await as().PATCH('/api/v1/agents/{id}', {
      params: { path: { id: agent.id } },
      body: { description: 'one' },
    });
    const res = await as().PATCH('/api/v1/agents/{id}', {
      params: { path: { id: agent.id } },
      body: {
        description: 'two',
        expectedVersion: 1,
      },
    });
    expect(res.response.status).toBe(409);
    expect(res.error!.error).toMatchObject({
      code: 'version_conflict',
      message: `agent ${agent.id} is at version 2, not 1; reload it and try again`,
    });
  });

  it('records create, update and delete in the audit log', async () => {
    const agent = await makeAgent(server, owner);
    await as().PATCH('/api/v1/agents/{id}', {
      params: { path: { id: agent.id } },
      body: { description: 'audited' },
    });
    await as().DELETE('/api/v1/agents/{id}', { params: { path: { id: agent.id } } });
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
    res: { response: Response; error?: unknown },
    status: number,
    code: string,
    message: string,
  ) => {
    expect(failure(res)).toMatchObject({ status, code, message });
  };

  it('refuses unknown tools, naming them', async () => {
    await expectError(
      await as().POST('/api/v1/agents', { body: { name: 'x', tools: ['time.now', 'files.delete_all'] } }),
      400,
      'unknown_tool',
      'unknown tool "files.delete_all"; see GET /api/v1/tools',
    );
    await expectError(
      await as().POST('/api/v1/agents', { body: { name: 'x', tools: ['a.b', 'c.d'] } }),
      400,
      'unknown_tool',
      'unknown tools "a.b", "c.d"; see GET /api/v1/tools',
    );
  });

  it('refuses hand-offs to agents outside the org and to itself', async () => {
    const agent = await makeAgent(server, owner);
    const stranger = await makeAgent(server, await registerOwner(server, 'stranger'));
    await expectError(
      await as().PATCH('/api/v1/agents/{id}', {
        params: { path: { id: agent.id } },
        body: { handoffs: [stranger.id] },
      }),
      400,
      'invalid_handoff',
      `agent ${agent.id} cannot hand off to ${stranger.id}: not in this org`,
    );
    await expectError(
      await as().PATCH('/api/v1/agents/{id}', {
        params: { path: { id: agent.id } },
        body: { handoffs: ['agt_nope'] },
      }),
      400,
      'invalid_handoff',
      `agent ${agent.id} cannot hand off to agt_nope: not in this org`,
    );
    await expectError(
      await as().PATCH('/api/v1/agents/{id}', {
        params: { path: { id: agent.id } },
        body: { handoffs: [agent.id] },
      }),
      400,
      'invalid_handoff',
      `agent ${agent.id} cannot hand off to itself`,
    );
    const create = await as().POST('/api/v1/agents', { body: { name: 'y', handoffs: [stranger.id] } });
    expect(create.response.status).toBe(400);
    expect(create.error!.error.message).toMatch(
      new RegExp(`^agent agt_\\w+ cannot hand off to ${stranger.id}: not in this org$`),
    );
  });

  it('refuses bad model strings and unknown providers', async () => {
    await expectError(
      await as().POST('/api/v1/agents', { body: { name: 'x', model: 'gpt-4.1' } }),
      400,
      'invalid_model',
      'model "gpt-4.1" must be provider:model, e.g. builtin:scripted or openai:gpt-4.1',
    );
    await expectError(
      await as().POST('/api/v1/agents', { body: { name: 'x', model: 'builtin:gpt' } }),
      400,
      'invalid_model',
      'the builtin provider has no model "gpt"; use builtin:scripted',
    );
    await expectError(
      await as().POST('/api/v1/agents', { body: { name: 'x', model: 'ollama:llama3.1' } }),
      400,
      'unknown_provider',
      `unknown model provider "ollama" in "ollama:llama3.1": use builtin, openai, anthropic or one of this organisation's providers (GET /api/v1/model-providers)`,
    );
    // Known providers are accepted without a key; a run says what is missing.
    expect(
      (await as().POST('/api/v1/agents', { body: { name: 'x', model: 'anthropic:claude-sonnet-4' } }))
        .response.status,
    ).toBe(201);
  });

  it('refuses a taken slug and malformed fields', async () => {
    const agent = await makeAgent(server, owner);
    await expectError(
      await as().POST('/api/v1/agents', { body: { name: 'x', slug: agent.slug } }),
      409,
      'slug_taken',
      `an agent with slug "${agent.slug}" already exists in this organisation`,
    );
    const other = await makeAgent(server, owner);
    await expectError(
      await as().PATCH('/api/v1/agents/{id}', {
        params: { path: { id: other.id } },
        body: { slug: agent.slug },
      }),
      409,
      'slug_taken',
      `an agent with slug "${agent.slug}" already exists in this organisation`,
    );
    await expectError(
      await as().POST('/api/v1/agents', { body: { name: 'x', slug: 'Not A Slug' } }),
      400,
      'validation_failed',
      'body.slug: must be lower-case letters, digits and single dashes, e.g. billing-support',
    );
    const unknownSetting = await as().POST('/api/v1/agents', {
      body: { name: 'x', modelSettings: { temp: 1 } },
    });
    expect(unknownSetting.response.status).toBe(400);
    expect(unknownSetting.error!.error.code).toBe('validation_failed');
    expect(unknownSetting.error!.error.message).toContain('body.modelSettings');
  });

  it('refuses to delete an agent others hand off to, naming them', async () => {
    const specialist = await makeAgent(server, owner);
    const triage = await makeAgent(server, owner, { handoffs: [specialist.id] });
    await expectError(
      await as().DELETE('/api/v1/agents/{id}', { params: { path: { id: specialist.id } } }),
      409,
      'agent_in_use',
      `agent ${specialist.id} is a hand-off target of ${triage.slug} (${triage.id}); remove it from their hand-offs first`,
    );
    await as().PATCH('/api/v1/agents/{id}', { params: { path: { id: triage.id } }, body: { handoffs: [] } });
    expect(
      (await as().DELETE('/api/v1/agents/{id}', { params: { path: { id: specialist.id } } })).response.status,
    ).toBe(204);
  });

  it('needs agents:write to change agents; a viewer may only read', async () => {
    const viewer = await addMember(server, owner, 'viewer');
    const agent = await makeAgent(server, owner);
    expect(
      (await as(viewer).GET('/api/v1/agents/{id}', { params: { path: { id: agent.id } } })).response.status,
    ).toBe(200);
    const res = await as(viewer).PATCH('/api/v1/agents/{id}', {
      params: { path: { id: agent.id } },
      body: { name: 'nope' },
    });
    expect(res.response.status).toBe(403);
    expect(res.error!.error).toMatchObject({
      code: 'forbidden',
      message: 'this needs the agents:write permission',
    });
  });
});

describe('tenant isolation', () => {
  it("gives org B 404 on org A's agents and their versions, and lists none of them", async () => {
    const agent = await makeAgent(server, owner);
    const b = await registerOwner(server, 'agents-b');
    const byId = { params: { path: { id: agent.id } } };
    const attempts = {
      'GET /agents/{id}': () => as(b).GET('/api/v1/agents/{id}', byId),
      'PATCH /agents/{id}': () =>
        as(b).PATCH('/api/v1/agents/{id}', { ...byId, body: { name: 'changed by B' } }),
      'DELETE /agents/{id}': () => as(b).DELETE('/api/v1/agents/{id}', byId),
      'GET /agents/{id}/versions': () => as(b).GET('/api/v1/agents/{id}/versions', byId),
    };
    for (const [route, attempt] of Object.entries(attempts)) {
      const res = await attempt();
      expect({ route, status: res.response.status, code: res.error?.error.code }).toEqual({
        route,
        status: 404,
        code: 'not_found',
      });
    }
    expect(JSON.stringify((await as(b).GET('/api/v1/agents')).data)).not.toContain(agent.id);
    expect(JSON.stringify((await as(b).GET('/api/v1/tools')).data)).not.toContain(agent.id);
    expect((await as().GET('/api/v1/agents/{id}', { params: { path: { id: agent.id } } })).data!.name).toBe(
      agent.name,
    );
  });
});
