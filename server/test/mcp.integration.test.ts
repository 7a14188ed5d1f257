import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TurnEvent } from '../src/execution/events.ts';
import { makeAgent } from './kit/agents.ts';
import { clientAs, type Schema } from './kit/api-client.ts';
import { startTestServer, type TestServer } from './kit/test-server.ts';
import { registerOwner, type Session } from './kit/users.ts';
import { type HttpMcpServer, startHttpMcpServer } from './mcp/http-server.ts';
import { NODE_BIN } from './setup/paths.ts';

const STDIO_SERVER = new URL('./mcp/stdio-server.ts', import.meta.url).pathname;
/** A stdio "server" that dies at once, saying why on stderr. */
const CRASHING = ['-e', 'console.error("boom: no API key given"); process.exit(3)'];
const CALL_TIMEOUT_MS = 1_500;

let server: TestServer;
let owner: Session;
let other: Session;
let remote: HttpMcpServer;

beforeAll(async () => {
  server = await startTestServer({
    env: { MCP_STDIO_COMMANDS: NODE_BIN, MCP_CALL_TIMEOUT_MS: String(CALL_TIMEOUT_MS) },
  });
  owner = await registerOwner(server, 'mcp');
  other = await registerOwner(server, 'mcp-other');
  remote = await startHttpMcpServer({ token: 'remote-token' });
});
afterAll(async () => {
  await server?.close();
  await remote?.close();
});

let seq = 0;
const uniqueSlug = (base: string) => `${base}_${Date.now().toString(36)}${seq++}`;

type Agent = Schema<'Agent'>;
type McpServer = Schema<'McpServer'>;
type CreateMcp = Schema<'CreateMcpServerRequestInput'>;

function createMcp(body: CreateMcp, session = owner) {
  return clientAs(server, session).POST('/api/v1/mcp-servers', { body });
}

async function stdioServer(extra: Partial<CreateMcp> = {}): Promise<McpServer> {
  const res = await createMcp({
    transport: 'stdio',
    name: 'Test tools',
    slug: uniqueSlug('tt'),
    command: NODE_BIN,
    args: [STDIO_SERVER],
    env: { GREETING: 'hello from the environment' },
    ...extra,
  } as CreateMcp);
  if (res.response.status !== 201) {
    throw new Error(`create MCP server failed: ${res.response.status} ${JSON.stringify(res.error)}`);
  }
  return res.data!;
}

const byId = (id: string) => ({ params: { path: { id } } });
const getMcp = (id: string, session = owner) =>
  clientAs(server, session).GET('/api/v1/mcp-servers/{id}', byId(id));
const patchMcp = (id: string, body: Schema<'UpdateMcpServerRequestInput'>, session = owner) =>
  clientAs(server, session).PATCH('/api/v1/mcp-servers/{id}', { ...byId(id), body });
const deleteMcp = (id: string, session = owner) =>
  clientAs(server, session).DELETE('/api/v1/mcp-servers/{id}', byId(id));

async function turn(agent: Agent, input: string) {
  const events: TurnEvent[] = [];
  const result = await server.domains.execution.runAgentTurn({
    orgId: owner.orgId,
    agent,
    history: [],
    input,
    onEvent: (e) => events.push(e),
  });
  const results = events.filter(
    (e): e is Extract<TurnEvent, { type: 'tool.result' }> => e.type === 'tool.result',
  );
  return { result, events, results };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits (bounded) for a process to end; closing a stdio server ends its process. */
async function exited(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}

async function pidOf(agent: Agent, slug: string): Promise<number> {
  const { results } = await turn(agent, `/tool mcp.${slug}.whoami {}`);
  return (JSON.parse(results[0]!.output) as { pid: number }).pid;
}

describe('stdio MCP servers', () => {
  it('registers one without returning or storing its environment in clear', async () => {
    const res = await createMcp({
      transport: 'stdio',
      name: 'Team Tools!',
      command: NODE_BIN,
      args: [STDIO_SERVER],
      env: { GREETING: 'secret-greeting-value', OTHER: 'x' },
    });
    expect(res.response.status).toBe(201);
    expect(res.data).toEqual({
      id: expect.stringMatching(/^mcp_/),
      name: 'Team Tools!',
      slug: expect.stringMatching(/^team_tools(_\d+)?$/),
      description: '',
      transport: 'stdio',
      command: NODE_BIN,
      args: [STDIO_SERVER],
      envNames: ['GREETING', 'OTHER'],
      url: null,
      headerNames: [],
      requiresApproval: false,
      status: { state: 'idle', message: null, since: null },
      tools: [],
      toolsUpdatedAt: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const { rows } = await server.ctx.database.query<{ env_enc: string }>(
      'select env_enc from mcp_servers where id = $1',
      [res.data!.id],
    );
    expect(rows[0]?.env_enc).toMatch(/^v1\./);
    expect(rows[0]?.env_enc).not.toContain('secret-greeting-value');
  });

  it('connects when read, and its tools join the registry as mcp.<slug>.<tool>', async () => {
    const mcp = await stdioServer();
    const res = await getMcp(mcp.id);
    expect(res.response.status).toBe(200);
    expect(res.data!.status).toEqual({
      state: 'connected',
      message: null,
      since: expect.any(String),
    });
    expect(res.data!.tools).toEqual([
      { name: `mcp.${mcp.slug}.echo`, mcpName: 'echo', description: 'Echoes the text back' },
      { name: `mcp.${mcp.slug}.add`, mcpName: 'add', description: 'Adds two numbers' },
      {
        name: `mcp.${mcp.slug}.whoami`,
        mcpName: 'whoami',
        description: 'The process id and the GREETING variable of the server',
      },
      { name: `mcp.${mcp.slug}.break_it`, mcpName: 'Break-It', description: 'Always reports a failure' },
      { name: `mcp.${mcp.slug}.hang`, mcpName: 'hang', description: 'Never answers' },
    ]);
    expect(res.data!.toolsUpdatedAt).not.toBeNull();

    const tools = await clientAs(server, owner).GET('/api/v1/tools');
    expect(tools.data!.items.find((t) => t.name === `mcp.${mcp.slug}.add`)).toEqual({
      name: `mcp.${mcp.slug}.add`,
      description: 'Adds two numbers',
      parameters: {
        type: 'object',
        properties: {
          a: { type: 'number', description: 'first' },
          b: { type: 'number', description: 'second' },
        },
        required: ['a', 'b'],
      },
      requiresApproval: false,
      source: `mcp:${mcp.slug}`,
      agents: [],
    });
    // Listing opens nothing new, and reports what this process knows.
    const list = await clientAs(server, owner).GET('/api/v1/mcp-servers', {
      params: { query: { limit: 200 } },
    });
    expect(list.data!.items.find((s) => s.id === mcp.id)?.status.state).toBe('connected');
  });

  it('runs its tools for an agent through runAgentTurn, with the environment it was given', async () => {
    const mcp = await stdioServer();
    const names = ['add', 'whoami', 'break_it', 'hang'].map((t) => `mcp.${mcp.slug}.${t}`);
    const agent = await makeAgent(server, owner, { tools: names });

    const add = await turn(agent, `/tool mcp.${mcp.slug}.add {"a":2,"b":3}`);
    expect(add.results).toEqual([
      {
        type: 'tool.result',
        name: `mcp.${mcp.slug}.add`,
        callId: expect.any(String),
        output: '{"sum":5}',
        isError: false,
        agentId: agent.id,
      },
    ]);
    expect(add.result.text).toBe(`mcp.${mcp.slug}.add returned: {"sum":5}`);

    const who = await turn(agent, `/tool mcp.${mcp.slug}.whoami {}`);
    expect(JSON.parse(who.results[0]!.output)).toEqual({
      pid: expect.any(Number),
      greeting: 'hello from the environment',
    });

    const broken = await turn(agent, `/tool mcp.${mcp.slug}.break_it {}`);
    expect(broken.results[0]).toMatchObject({
      isError: true,
      output: `Error: Break-It on MCP server ${mcp.slug} failed: the widget is broken`,
    });

    const hung = await turn(agent, `/tool mcp.${mcp.slug}.hang {}`);
    expect(hung.results[0]).toMatchObject({
      isError: true,
      output: `Error: hang on MCP server ${mcp.slug} did not answer within ${CALL_TIMEOUT_MS} ms`,
    });
    expect(hung.result.outcome).toBe('completed');
  });

  it('asks for approval of every call when the server requires it', async () => {
    const mcp = await stdioServer({ requiresApproval: true });
    expect(mcp.requiresApproval).toBe(true);
    const agent = await makeAgent(server, owner, { tools: [`mcp.${mcp.slug}.echo`] });
    const { result } = await turn(agent, `/tool mcp.${mcp.slug}.echo {"text":"hi"}`);
    expect(result.outcome).toBe('waiting_approval');
    expect(result.approval).toMatchObject({ toolName: `mcp.${mcp.slug}.echo`, arguments: { text: 'hi' } });
  });

  it('reports a server that fails to start, and its known tools answer with that error', async () => {
    const broken = await stdioServer({ args: CRASHING });
    const res = await getMcp(broken.id);
    expect(res.response.status).toBe(200);
    expect(res.data!.status.state).toBe('error');
    expect(res.data!.status.message).toMatch(
      new RegExp(`^could not start ${NODE_BIN}: .+ \\(stderr: boom: no API key given\\)$`),
    );
    expect(res.data!.tools).toEqual([]);

    // A server that worked before keeps its tools listed while it is down.
    const mcp = await stdioServer();
    const agent = await makeAgent(server, owner, { tools: [`mcp.${mcp.slug}.echo`] });
    expect((await turn(agent, `/tool mcp.${mcp.slug}.echo {"text":"up"}`)).results[0]?.output).toBe('up');
    const patched = await patchMcp(mcp.id, { args: CRASHING });
    expect(patched.response.status).toBe(200);
    const down = await turn(agent, `/tool mcp.${mcp.slug}.echo {"text":"down"}`);
    expect(down.results[0]).toMatchObject({ isError: true });
    expect(down.results[0]?.output).toMatch(
      new RegExp(
        `^Error: MCP server ${mcp.slug} is unavailable: could not start ${NODE_BIN}: .+ \\(stderr: boom: no API key given\\)$`,
      ),
    );
    expect((await getMcp(mcp.id)).data!.tools.map((t) => t.mcpName)).toEqual([
      'echo',
      'add',
      'whoami',
      'Break-It',
      'hang',
    ]);
  });

  it('closes the process when the server is changed or deleted, and refuses to delete one in use', async () => {
    const mcp = await stdioServer();
    const agent = await makeAgent(server, owner, { tools: [`mcp.${mcp.slug}.whoami`] });
    const first = await pidOf(agent, mcp.slug);

    expect((await patchMcp(mcp.id, { env: { GREETING: 'changed' } })).response.status).toBe(200);
    expect(await exited(first)).toBe(true);
    const who = await turn(agent, `/tool mcp.${mcp.slug}.whoami {}`);
    const second = JSON.parse(who.results[0]!.output) as { pid: number; greeting: string };
    expect(second.greeting).toBe('changed');
    expect(second.pid).not.toBe(first);

    const refused = await deleteMcp(mcp.id);
    expect(refused.response.status).toBe(409);
    expect(refused.error).toMatchObject({
      error: {
        code: 'mcp_server_in_use',
        message: `MCP server ${mcp.slug} has tools used by ${agent.slug} (${agent.id}); remove them from those agents first`,
      },
    });
    const freed = await clientAs(server, owner).PATCH('/api/v1/agents/{id}', {
      ...byId(agent.id),
      body: { tools: [] },
    });
    expect(freed.response.status).toBe(200);
    expect((await deleteMcp(mcp.id)).response.status).toBe(204);
    expect(await exited(second.pid)).toBe(true);
    expect((await getMcp(mcp.id)).response.status).toBe(404);
  });

  it('closes every connection when the app closes', async () => {
    const own = await startTestServer({ env: { MCP_STDIO_COMMANDS: NODE_BIN } });
    try {
      const session = await registerOwner(own, 'mcp-close');
      const created = await clientAs(own, session).POST('/api/v1/mcp-servers', {
        body: { transport: 'stdio', name: 'closer', command: NODE_BIN, args: [STDIO_SERVER] },
      });
      const agent = await makeAgent(own, session, { tools: [`mcp.${created.data!.slug}.whoami`] });
      const events: TurnEvent[] = [];
      await own.domains.execution.runAgentTurn({
        orgId: session.orgId,
        agent,
        history: [],
        input: `/tool mcp.${created.data!.slug}.whoami {}`,
        onEvent: (e) => events.push(e),
      });
      const output = events.find((e) => e.type === 'tool.result');
      const pid = (JSON.parse(output?.type === 'tool.result' ? output.output : '{}') as { pid: number }).pid;
      expect(alive(pid)).toBe(true);
      await own.close();
      expect(await exited(pid)).toBe(true);
    } finally {
      await own.close();
    }
  });
});

describe('streamable HTTP MCP servers', () => {
  it('sends the stored headers, and its tools run for an agent', async () => {
    const res = await createMcp({
      transport: 'http',
      name: 'Remote tools',
      slug: uniqueSlug('remote'),
      url: remote.url,
      headers: { Authorization: 'Bearer remote-token' },
    });
    expect(res.response.status).toBe(201);
    expect(res.data).toMatchObject({
      transport: 'http',
      url: remote.url,
      headerNames: ['Authorization'],
      command: null,
      envNames: [],
    });
    expect(JSON.stringify(res.data)).not.toContain('remote-token');
    const mcp = res.data!;
    expect((await getMcp(mcp.id)).data!.status.state).toBe('connected');
    expect(remote.authorizations).toContain('Bearer remote-token');

    const agent = await makeAgent(server, owner, { tools: [`mcp.${mcp.slug}.add`] });
    const { results } = await turn(agent, `/tool mcp.${mcp.slug}.add {"a":2,"b":3}`);
    expect(results[0]).toMatchObject({ output: '{"sum":5}', isError: false });
  });

  it('reports an endpoint that refuses the connection', async () => {
    const mcp = (
      await createMcp({
        transport: 'http',
        name: 'Remote with a wrong key',
        url: remote.url,
        headers: { Authorization: 'Bearer wrong' },
      })
    ).data!;
    const res = await getMcp(mcp.id);
    expect(res.data!.status).toEqual({
      state: 'error',
      message: `could not connect to ${remote.url}: Error POSTing to endpoint: missing or wrong token`,
      since: expect.any(String),
    });
    // Fixing the header reconnects at once: a change is never held back by the earlier failure.
    await patchMcp(mcp.id, { headers: { Authorization: 'Bearer remote-token' } });
    expect((await getMcp(mcp.id)).data!.status.state).toBe('connected');
  });
});

describe('MCP server rules', () => {
  it('refuses a stdio command the operator did not allow', async () => {
    const res = await createMcp({
      transport: 'stdio',
      name: 'shell',
      command: '/bin/sh',
      args: ['-c', 'id'],
    });
    expect(res.response.status).toBe(403);
    expect(res.error).toMatchObject({
      error: {
        code: 'mcp_command_not_allowed',
        message: `"/bin/sh" is not a command this server allows for stdio MCP servers; allowed: ${NODE_BIN}`,
      },
    });
    const mcp = await stdioServer();
    const patched = await patchMcp(mcp.id, { command: '/bin/sh' });
    expect(patched.response.status).toBe(403);
  });

  it('keeps slugs unique, refuses settings of the other transport and headers the transport sets', async () => {
    const mcp = await stdioServer();
    const dup = await createMcp({ transport: 'stdio', name: 'dup', slug: mcp.slug, command: NODE_BIN });
    expect(dup.response.status).toBe(409);
    expect(dup.error).toMatchObject({
      error: {
        code: 'slug_taken',
        message: `an MCP server with slug "${mcp.slug}" already exists in this organisation`,
      },
    });

    const wrong = await patchMcp(mcp.id, { url: remote.url, headers: { a: 'b' } });
    expect(wrong.response.status).toBe(400);
    expect(wrong.error).toMatchObject({
      error: {
        code: 'validation_failed',
        message: `url, headers do not apply to MCP server ${mcp.slug}, which uses stdio`,
      },
    });

    const reserved = await createMcp({
      transport: 'http',
      name: 'reserved',
      url: remote.url,
      headers: { 'Content-Type': 'text/plain', Host: 'x' },
    });
    expect(reserved.response.status).toBe(400);
    expect(reserved.error).toMatchObject({
      error: {
        code: 'invalid_header',
        message: 'the MCP transport sets Content-Type, Host itself; leave them out',
      },
    });

    const badSlug = await createMcp({ transport: 'http', name: 'x', slug: 'Has-Dash', url: remote.url });
    expect(badSlug.response.status).toBe(400);
    expect(badSlug.error).toMatchObject({ error: { code: 'validation_failed' } });
  });

  it("hides one org's servers and their tools from another", async () => {
    const mcp = await stdioServer();
    await getMcp(mcp.id);
    for (const res of [
      await getMcp(mcp.id, other),
      await patchMcp(mcp.id, { name: 'taken over' }, other),
      await deleteMcp(mcp.id, other),
    ]) {
      expect(res.response.status).toBe(404);
      expect(res.error).toMatchObject({
        error: { code: 'not_found', message: `MCP server ${mcp.id} was not found` },
      });
    }
    const asOther = clientAs(server, other);
    const list = await asOther.GET('/api/v1/mcp-servers');
    expect(list.response.status).toBe(200);
    expect(JSON.stringify(list.data)).not.toContain(mcp.id);
    const tools = await asOther.GET('/api/v1/tools');
    expect(JSON.stringify(tools.data)).not.toContain(mcp.slug);
    const refused = await asOther.POST('/api/v1/agents', {
      body: { name: 'thief', tools: [`mcp.${mcp.slug}.add`] },
    });
    expect(refused.response.status).toBe(400);
    expect(refused.error).toMatchObject({ error: { code: 'unknown_tool' } });
    expect((await getMcp(mcp.id)).data!.name).toBe('Test tools');
  });
});
