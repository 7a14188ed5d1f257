import type { SwitchboardClient } from '@switchboard/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAs, failure } from './kit/api-client.ts';
import { makeFile, pathsOf, putFile, readFile } from './kit/files.ts';
import { startTestServer, type TestServer } from './kit/test-server.ts';
import { registerOwner, roleId } from './kit/users.ts';

/**
 * Tenant isolation of the files routes. Files are named by path, not by id, and each org has a tree of
 * its own: org B naming org A's paths reaches only its own (empty) tree. Every files route of the route
 * table has a case here (a new one without fails the suite), the same path used by both orgs; org A's
 * files, versions and rules are unchanged afterwards.
 */

let server: TestServer;
let a: SwitchboardClient;
let b: SwitchboardClient;
let etagOfA: string;
const SECRET = '/shared/secret.md';

beforeAll(async () => {
  server = await startTestServer();
  const ownerA = await registerOwner(server, 'files-a');
  a = clientAs(server, ownerA.accessToken);
  b = clientAs(server, (await registerOwner(server, 'files-b')).accessToken);
  await makeFile(a, SECRET, 'A version 1');
  etagOfA = (await makeFile(a, SECRET, 'A version 2')).etag!;
  await makeFile(a, '/shared/sub/inner.txt', 'A inner');
  const rules = [
    {
      subject: { type: 'role' as const, id: await roleId(server, ownerA, 'member') },
      access: 'read' as const,
    },
  ];
  await a.PUT('/api/v1/files/permissions', { params: { query: { path: '/shared' } }, body: { rules } });
});
afterAll(async () => {
  await server?.close();
});

type Answer = { response: Response; error?: unknown; data?: unknown };
const notFound = (res: Answer) => expect(failure(res)).toMatchObject({ status: 404, code: 'not_found' });

/** Org B's attempt on each route, and what it must see: nothing of org A's. */
const cases: Record<string, () => Promise<void>> = {
  'GET /api/v1/files/tree': async () => {
    notFound(await b.GET('/api/v1/files/tree', { params: { query: { path: '/shared' } } }));
    const root = await b.GET('/api/v1/files/tree', { params: { query: { path: '/', depth: 5 } } });
    expect(pathsOf(root.data!.children).filter((p) => p.startsWith('/shared'))).toEqual([]);
  },
  'GET /api/v1/files/content': async () => {
    notFound(await b.GET('/api/v1/files/content', { params: { query: { path: SECRET } } }));
  },
  'PUT /api/v1/files/content': async () => {
    // The precondition names A's version: B has no such file, so nothing matches.
    expect(failure(await putFile(b, SECRET, 'B', { ifMatch: etagOfA }))).toMatchObject({ status: 412 });
  },
  'DELETE /api/v1/files/content': async () => {
    notFound(
      await b.DELETE('/api/v1/files/content', { params: { query: { path: '/shared', recursive: 'true' } } }),
    );
  },
  'GET /api/v1/files/metadata': async () => {
    notFound(await b.GET('/api/v1/files/metadata', { params: { query: { path: SECRET } } }));
  },
  'GET /api/v1/files/search': async () => {
    const found = await b.GET('/api/v1/files/search', { params: { query: { q: 'secret' } } });
    expect(found.data).toEqual({ items: [], nextCursor: null });
  },
  'GET /api/v1/files/versions': async () => {
    notFound(await b.GET('/api/v1/files/versions', { params: { query: { path: SECRET } } }));
  },
  'GET /api/v1/files/versions/content': async () => {
    notFound(
      await b.GET('/api/v1/files/versions/content', { params: { query: { path: SECRET, version: 1 } } }),
    );
  },
  'POST /api/v1/files/versions/restore': async () => {
    notFound(await b.POST('/api/v1/files/versions/restore', { body: { path: SECRET, version: 1 } }));
  },
  'POST /api/v1/files/move': async () => {
    notFound(await b.POST('/api/v1/files/move', { body: { from: '/shared', to: '/taken' } }));
  },
  'POST /api/v1/files/folders': async () => {
    // B may make its own /shared/sub: a folder of B's tree, not A's.
    const made = await b.POST('/api/v1/files/folders', { body: { path: '/shared/sub' } });
    expect(made.response.status).toBe(201);
  },
  'GET /api/v1/files/permissions': async () => {
    notFound(await b.GET('/api/v1/files/permissions', { params: { query: { path: SECRET } } }));
  },
  'PUT /api/v1/files/permissions': async () => {
    const put = await b.PUT('/api/v1/files/permissions', {
      params: { query: { path: SECRET } },
      body: { rules: [] },
    });
    notFound(put);
  },
};

describe('org B cannot reach org A’s files', () => {
  it('has a case for every files route', () => {
    const routes = server.routes
      .filter((r) => r.url.startsWith('/api/v1/files'))
      .map((r) => `${r.method} ${r.url}`)
      .sort();
    expect(routes.length).toBeGreaterThanOrEqual(13);
    expect(routes, 'add a case to server/test/files-tenancy.integration.test.ts').toEqual(
      Object.keys(cases).sort(),
    );
  });

  it.each(Object.keys(cases))('%s reaches only org B’s own tree', async (route) => {
    await cases[route]!();
  });

  it('leaves org A’s files, versions and rules as they were', async () => {
    expect(await readFile(a, SECRET)).toMatchObject({ status: 200, text: 'A version 2' });
    expect((await readFile(a, '/shared/sub/inner.txt')).text).toBe('A inner');
    const versions = await a.GET('/api/v1/files/versions', { params: { query: { path: SECRET } } });
    expect(versions.data!.items.map((v) => v.version)).toEqual([1]);
    const rules = await a.GET('/api/v1/files/permissions', { params: { query: { path: '/shared' } } });
    expect(rules.data!.rules).toHaveLength(1);
    const tree = await a.GET('/api/v1/files/tree', { params: { query: { path: '/', depth: 3 } } });
    expect(pathsOf(tree.data!.children)).toEqual(['/shared', '/shared/sub', '/shared/sub/inner.txt', SECRET]);
  });
});
