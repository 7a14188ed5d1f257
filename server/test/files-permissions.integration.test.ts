import type { SwitchboardClient } from '@switchboard/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAgent } from './kit/agents.ts';
import { clientAs, failure } from './kit/api-client.ts';
import { makeApiKey } from './kit/chat.ts';
import { makeFile, pathsOf, putFile, readFile } from './kit/files.ts';
import { startTestServer, type TestServer } from './kit/test-server.ts';
import { addMember, registerOwner, roleId, type Session } from './kit/users.ts';
import { ofType, openAuthed, subscribe } from './kit/ws-client.ts';

/**
 * Per-path permissions: rules for roles, members and agents (none, read, write), inherited down the
 * tree and overridden deeper; owners and admins always write; what a caller may not read is absent
 * everywhere (tree, content, metadata, search, events) and 404s like a path that never existed.
 */

type Access = 'none' | 'read' | 'write';
const FILES = [
  '/team/plan.md',
  '/team/notes/a.md',
  '/team/secret/keys.md',
  '/team/secret/deeper/y.md',
  '/public/readme.md',
  '/drafts/x.md',
];

let server: TestServer;
let owner: Session;
let api: SwitchboardClient;
const people: Record<'member' | 'member2' | 'viewer' | 'admin', SwitchboardClient> = {} as never;
let memberId: string;
let agentG: string;
let agentH: string;

const rule = (type: 'role' | 'member' | 'agent', id: string, access: Access) => ({
  subject: { type, id },
  access,
});

async function setRules(path: string, rules: ReturnType<typeof rule>[], as = api) {
  return as.PUT('/api/v1/files/permissions', { params: { query: { path } }, body: { rules } });
}

beforeAll(async () => {
  server = await startTestServer();
  owner = await registerOwner(server, 'perm-owner');
  api = clientAs(server, owner.accessToken);
  const member = await addMember(server, owner, 'member');
  memberId = member.memberId;
  people.member = clientAs(server, member.accessToken);
  people.member2 = clientAs(server, (await addMember(server, owner, 'member')).accessToken);
  people.viewer = clientAs(server, (await addMember(server, owner, 'viewer')).accessToken);
  people.admin = clientAs(server, (await addMember(server, owner, 'admin')).accessToken);
  const tools = ['files.list', 'files.read', 'files.write'];
  agentG = (await makeAgent(server, owner, { tools })).id;
  agentH = (await makeAgent(server, owner, { tools })).id;

  for (const path of FILES) await makeFile(api, path);
  const roles = {
    member: await roleId(server, owner, 'member'),
    viewer: await roleId(server, owner, 'viewer'),
    admin: await roleId(server, owner, 'admin'),
  };
  const sets: Array<[string, ReturnType<typeof rule>[]]> = [
    [
      '/team',
      [
        rule('role', roles.member, 'read'),
        rule('role', roles.viewer, 'none'),
        rule('role', roles.admin, 'none'),
        rule('agent', agentG, 'read'),
      ],
    ],
    ['/team/notes', [rule('role', roles.member, 'write'), rule('agent', agentG, 'write')]],
    [
      '/team/secret',
      [rule('role', roles.member, 'none'), rule('member', memberId, 'read'), rule('agent', agentG, 'none')],
    ],
    ['/team/secret/deeper', [rule('role', roles.member, 'write')]],
    ['/public', [rule('role', roles.viewer, 'write')]],
  ];
  for (const [path, rules] of sets) expect((await setRules(path, rules)).response.status).toBe(200);
});
afterAll(async () => {
  await server?.close();
});

/** What a person may do at a path, as the API shows it: 404 is none, else the access it reports. */
async function probe(as: SwitchboardClient, path: string): Promise<Access> {
  const meta = await as.GET('/api/v1/files/metadata', { params: { query: { path } } });
  if (meta.response.status === 404) {
    // Absent everywhere, not only in metadata.
    expect((await readFile(as, path)).status).toBe(404);
    expect((await as.GET('/api/v1/files/versions', { params: { query: { path } } })).response.status).toBe(
      404,
    );
    expect((await as.GET('/api/v1/files/permissions', { params: { query: { path } } })).response.status).toBe(
      404,
    );
    return 'none';
  }
  const claimed = meta.data!.access;
  // Writing the same bytes again changes nothing, and shows whether a write is allowed.
  const put = await putFile(as, path, `content of ${path}`);
  expect({ path, status: put.response.status }).toEqual({ path, status: claimed === 'write' ? 200 : 403 });
  return claimed;
}

async function agentTool(agentId: string, name: string, args: Record<string, unknown>) {
  const tool = await server.domains.tools.registry.find(owner.orgId, name);
  // As the agent loop calls it: the arguments parsed (defaults filled in) first.
  return tool!.execute(tool!.parameters.parse(args), { orgId: owner.orgId, agentId, signal: undefined });
}

async function agentAccess(agentId: string, path: string): Promise<Access> {
  try {
    await agentTool(agentId, 'files.read', { path });
  } catch (err) {
    expect((err as Error).message).toBe(`path ${path} was not found`);
    return 'none';
  }
  try {
    await agentTool(agentId, 'files.write', { path, content: `content of ${path}` });
    return 'write';
  } catch (err) {
    expect((err as Error).message).toContain(`you may not write ${path}`);
    return 'read';
  }
}

describe('the permission matrix', () => {
  it('roles and members: inherited down the tree, overridden deeper, a member rule before its role rule; owners and admins always write', async () => {
    const seen: Record<string, Record<string, Access>> = {};
    for (const [who, as] of Object.entries({ ...people, owner: api })) {
      seen[who] = {};
      for (const path of FILES) seen[who][path] = await probe(as, path);
    }
    expect(seen).toEqual({
      member: {
        '/team/plan.md': 'read',
        '/team/notes/a.md': 'write',
        '/team/secret/keys.md': 'read',
        '/team/secret/deeper/y.md': 'write',
        '/public/readme.md': 'write',
        '/drafts/x.md': 'write',
      },
      member2: {
        '/team/plan.md': 'read',
        '/team/notes/a.md': 'write',
        '/team/secret/keys.md': 'none',
        '/team/secret/deeper/y.md': 'write',
        '/public/readme.md': 'write',
        '/drafts/x.md': 'write',
      },
      // A write rule cannot lift a viewer past its scopes.
      viewer: {
        '/team/plan.md': 'none',
        '/team/notes/a.md': 'none',
        '/team/secret/keys.md': 'none',
        '/team/secret/deeper/y.md': 'none',
        '/public/readme.md': 'read',
        '/drafts/x.md': 'read',
      },
      // The rule naming the admin role is there, and changes nothing.
      admin: Object.fromEntries(FILES.map((p) => [p, 'write'])),
      owner: Object.fromEntries(FILES.map((p) => [p, 'write'])),
    });
  });

  it('agents: only rules naming the agent count, and an agent with none sees nothing', async () => {
    const matrix = async (agentId: string) => {
      const seen: Record<string, Access> = {};
      for (const path of FILES) seen[path] = await agentAccess(agentId, path);
      return seen;
    };
    expect(await matrix(agentG)).toEqual({
      '/team/plan.md': 'read',
      '/team/notes/a.md': 'write',
      '/team/secret/keys.md': 'none',
      '/team/secret/deeper/y.md': 'none',
      '/public/readme.md': 'none',
      '/drafts/x.md': 'none',
    });
    expect(Object.values(await matrix(agentH))).toEqual(FILES.map(() => 'none'));
    expect(await agentTool(agentH, 'files.list', { path: '/' })).toEqual({
      path: '/',
      entries: [],
      truncated: false,
    });
    expect(await agentTool(agentG, 'files.list', { path: '/team', depth: 2 })).toEqual({
      path: '/team',
      entries: [
        { path: '/team/notes', type: 'folder', access: 'write' },
        { path: '/team/notes/a.md', type: 'file', size: 27, access: 'write' },
        { path: '/team/plan.md', type: 'file', size: 24, access: 'read' },
      ],
      truncated: false,
    });
  });

  it('an API key is held to its scopes; rules name roles, members and agents, not keys', async () => {
    const reader = clientAs(server, await makeApiKey(server, owner, ['files:read']));
    expect(await probe(reader, '/team/secret/keys.md')).toBe('read');
  });
});

describe('what a caller may not read is absent everywhere', () => {
  it('tree: a hidden folder is left out with everything in it', async () => {
    const viewerRoot = await people.viewer.GET('/api/v1/files/tree', {
      params: { query: { path: '/', depth: 3 } },
    });
    expect(pathsOf(viewerRoot.data!.children)).toEqual([
      '/drafts',
      '/drafts/x.md',
      '/public',
      '/public/readme.md',
    ]);
    const member2Team = await people.member2.GET('/api/v1/files/tree', {
      params: { query: { path: '/team', depth: 3 } },
    });
    expect(pathsOf(member2Team.data!.children)).toEqual(['/team/notes', '/team/notes/a.md', '/team/plan.md']);
    expect(
      failure(await people.viewer.GET('/api/v1/files/tree', { params: { query: { path: '/team' } } })),
    ).toEqual({
      status: 404,
      code: 'not_found',
      message: 'path /team was not found',
    });
  });

  it('search: hidden matches are skipped; a deeper grant is found by name though its folder is hidden', async () => {
    const names = async (as: SwitchboardClient, q: string) =>
      (await as.GET('/api/v1/files/search', { params: { query: { q } } })).data!.items.map((i) => i.path);
    expect(await names(people.viewer, 'plan')).toEqual([]);
    expect(await names(people.member, 'keys')).toEqual(['/team/secret/keys.md']);
    expect(await names(people.member2, 'keys')).toEqual([]);
    expect(await names(people.member2, 'y.md')).toEqual(['/team/secret/deeper/y.md']);
  });

  it('writes: a hidden path cannot be moved, deleted or given rules, and answers as if it did not exist', async () => {
    const as = people.member2;
    const path = '/team/secret/keys.md';
    const answers = [
      await as.POST('/api/v1/files/move', { body: { from: path, to: '/drafts/stolen.md' } }),
      await as.DELETE('/api/v1/files/content', { params: { query: { path } } }),
      await as.PUT('/api/v1/files/permissions', { params: { query: { path } }, body: { rules: [] } }),
      await as.POST('/api/v1/files/versions/restore', { body: { path, version: 1 } }),
    ];
    for (const answer of answers)
      expect(failure(answer)).toEqual({
        status: 404,
        code: 'not_found',
        message: `path ${path} was not found`,
      });
    // Writing is decided by the rules alone, so the answer says nothing of whether the file exists.
    expect(failure(await putFile(as, path, 'x'))).toMatchObject({ status: 403, code: 'forbidden' });
    expect(failure(await putFile(as, '/team/secret/new.md', 'x'))).toMatchObject({
      status: 403,
      code: 'forbidden',
    });
    expect((await readFile(api, path)).text).toBe(`content of ${path}`);
  });

  it('events: a subscriber hears only of paths it may read', async () => {
    const viewer = await addMember(server, owner, 'viewer');
    const socket = await openAuthed(server, viewer.accessToken);
    try {
      await subscribe(socket, 'files');
      await makeFile(api, '/team/plan.md', 'a hidden change');
      await makeFile(api, '/public/readme.md', 'a visible change');
      const event = await socket.next(ofType('event', { channel: 'files' }));
      expect(event).toMatchObject({ event: 'file.changed', data: { path: '/public/readme.md' } });
      expect(socket.count(ofType('event'))).toBe(1);
    } finally {
      await socket.close();
    }
  });
});

describe('setting rules', () => {
  it('shows own and inherited rules with names; needs write at the path; refuses unknown subjects', async () => {
    const view = await people.member.GET('/api/v1/files/permissions', {
      params: { query: { path: '/team/secret/keys.md' } },
    });
    expect(view.data).toMatchObject({ path: '/team/secret/keys.md', rules: [], access: 'read' });
    // Nearest folder first; within a folder, by subject (roles by id).
    const inherited = view.data!.inherited.map((r) => `${r.path} ${r.subject.type} ${r.access}`);
    expect(inherited.slice(0, 4)).toEqual([
      '/team/secret agent none',
      '/team/secret member read',
      '/team/secret role none',
      '/team agent read',
    ]);
    expect(inherited.slice(4).sort()).toEqual(['/team role none', '/team role none', '/team role read']);
    expect(view.data!.inherited.every((r) => r.subject.name !== null)).toBe(true);

    const refused = await setRules(
      '/team/secret/keys.md',
      [rule('member', memberId, 'write')],
      people.member,
    );
    expect(failure(refused)).toMatchObject({ status: 403, code: 'forbidden' });
    const byViewer = await setRules('/public', [], people.viewer);
    expect(failure(byViewer)).toEqual({
      status: 403,
      code: 'forbidden',
      message: 'this needs the files:write permission',
    });
    const unknown = await setRules('/drafts', [rule('agent', 'agt_nope', 'read')]);
    expect(failure(unknown)).toEqual({
      status: 400,
      code: 'unknown_subject',
      message: 'no such agent agt_nope in this organisation',
    });
    // A member who may write a folder may share it.
    const shared = await setRules('/drafts', [rule('agent', agentH, 'read')], people.member);
    expect(shared.data!.rules).toEqual([
      { subject: { type: 'agent', id: agentH, name: expect.any(String) }, access: 'read' },
    ]);
    expect(await agentAccess(agentH, '/drafts/x.md')).toBe('read');
    await setRules('/drafts', [], people.member);
    expect(await agentAccess(agentH, '/drafts/x.md')).toBe('none');
  });

  it('refuses to delete or move a folder holding what the caller may not change', async () => {
    await makeFile(api, '/team/notes/locked.md');
    await setRules('/team/notes/locked.md', [rule('member', memberId, 'read')]);
    const del = await people.member.DELETE('/api/v1/files/content', {
      params: { query: { path: '/team/notes', recursive: 'true' } },
    });
    expect(failure(del)).toEqual({
      status: 403,
      code: 'forbidden',
      message: 'you may not delete /team/notes: it holds entries you may not change; ask an owner or admin',
    });
    const move = await people.member.POST('/api/v1/files/move', {
      body: { from: '/team/notes', to: '/drafts/notes' },
    });
    expect(failure(move)).toMatchObject({ status: 403, code: 'forbidden' });
    expect((await readFile(api, '/team/notes/locked.md')).status).toBe(200);
  });

  it('a moved folder takes its rules along, and a deleted one takes them away', async () => {
    await makeFile(api, '/vault/inner/k.md');
    await setRules('/vault/inner', [rule('member', memberId, 'none')]);
    await api.POST('/api/v1/files/move', { body: { from: '/vault', to: '/archive/vault' } });
    expect(await probe(people.member, '/archive/vault/inner/k.md')).toBe('none');
    expect(await probe(people.member2, '/archive/vault/inner/k.md')).toBe('write');
    await api.DELETE('/api/v1/files/content', { params: { query: { path: '/archive', recursive: 'true' } } });
    await makeFile(api, '/archive/vault/inner/k.md');
    expect(await probe(people.member, '/archive/vault/inner/k.md')).toBe('write');
  });
});

describe('agents through a chat turn', () => {
  async function turn(agentId: string, message: string) {
    const res = await api.POST('/api/v1/chat', {
      body: { agentId, message, includeEvents: true, detach: false },
    });
    expect(res.response.status, JSON.stringify(res.error)).toBe(200);
    const result = res.data!.events!.find((e) => e.type === 'tool.result');
    return result as { output: string; isError: boolean };
  }

  it('reads a permitted file, is refused an unpermitted one, and a write is the agent’s in metadata and audit', async () => {
    const read = await turn(agentG, '/tool files.read {"path":"/team/plan.md"}');
    expect(read.isError).toBe(false);
    expect(JSON.parse(read.output)).toMatchObject({ path: '/team/plan.md', content: 'a hidden change' });

    const refused = await turn(agentG, '/tool files.read {"path":"/team/secret/keys.md"}');
    expect(refused).toMatchObject({
      isError: true,
      output: 'Error: path /team/secret/keys.md was not found',
    });

    const wrote = await turn(
      agentG,
      '/tool files.write {"path":"/team/notes/by-agent.md","content":"from G"}',
    );
    expect(JSON.parse(wrote.output)).toMatchObject({
      path: '/team/notes/by-agent.md',
      created: true,
      version: 1,
    });
    const meta = await api.GET('/api/v1/files/metadata', {
      params: { query: { path: '/team/notes/by-agent.md' } },
    });
    expect(meta.data).toMatchObject({
      createdBy: { type: 'agent', id: agentG },
      updatedBy: { type: 'agent', id: agentG },
    });
    const audit = await api.GET('/api/v1/audit', {
      params: { query: { actor: agentG, resourceId: '/team/notes/by-agent.md' } },
    });
    expect(audit.data!.items.map((e) => [e.action, e.actor, e.resource])).toEqual([
      ['file.write', { type: 'agent', id: agentG }, { type: 'file', id: '/team/notes/by-agent.md' }],
    ]);
  });
});
