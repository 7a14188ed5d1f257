import type { SwitchboardClient } from '@switchboard/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAs, failure } from './kit/api-client.ts';
import { makeFile, pathsOf, putFile, readFile } from './kit/files.ts';
import { startTestServer, type TestServer, uniqueSuffix } from './kit/test-server.ts';
import { registerOwner } from './kit/users.ts';
import { ofType, openAuthed, subscribe } from './kit/ws-client.ts';

let server: TestServer;
let api: SwitchboardClient;
let ownerToken: string;

beforeAll(async () => {
  // A request body limit far below the file limit: file uploads have their own.
  server = await startTestServer({ env: { FILES_MAX_BYTES: '4096', BODY_LIMIT_BYTES: '2048' } });
  const owner = await registerOwner(server, 'files');
  ownerToken = owner.accessToken;
  api = clientAs(server, ownerToken);
});
afterAll(async () => {
  await server?.close();
});

/** A fresh folder per test, so tests share the org without meeting. */
const folder = () => `/t-${uniqueSuffix()}`;

describe('content', () => {
  it('creates a file (201) with its folders, and serves the bytes back with their type and ETag', async () => {
    const dir = folder();
    const res = await putFile(api, `${dir}/docs/plan.md`, '# Plan\n', { contentType: 'text/markdown' });
    expect(res.response.status).toBe(201);
    expect(res.data).toMatchObject({
      path: `${dir}/docs/plan.md`,
      name: 'plan.md',
      type: 'file',
      size: 7,
      contentType: 'text/markdown',
      version: 1,
      access: 'write',
      createdBy: { type: 'user' },
    });
    expect(res.response.headers.get('etag')).toBe(res.data!.etag);

    const read = await readFile(api, `${dir}/docs/plan.md`);
    expect(read).toMatchObject({ status: 200, text: '# Plan\n' });
    expect(read.headers.get('content-type')).toBe('text/markdown');
    expect(read.headers.get('etag')).toBe(res.data!.etag);
    expect(read.headers.get('content-security-policy')).toContain('sandbox');
    expect((await readFile(api, `${dir}/docs/plan.md`, { 'if-none-match': res.data!.etag! })).status).toBe(
      304,
    );

    const folderMeta = await api.GET('/api/v1/files/metadata', {
      params: { query: { path: `${dir}/docs/` } },
    });
    expect(folderMeta.data).toMatchObject({
      path: `${dir}/docs`,
      type: 'folder',
      size: 0,
      etag: null,
      version: null,
    });
  });

  it('keeps any body byte for byte: JSON is not parsed, binary is not decoded, empty is a file', async () => {
    const dir = folder();
    const json = '{ "b": 2,   "a": [1] }';
    await makeFile(api, `${dir}/data.json`, json, { contentType: 'application/json' });
    expect(await readFile(api, `${dir}/data.json`)).toMatchObject({ text: json });

    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 255, 0, 1]);
    await makeFile(api, `${dir}/pixel.png`, png, { contentType: 'image/png' });
    const bytes = await api.GET('/api/v1/files/content', {
      params: { query: { path: `${dir}/pixel.png` } },
      parseAs: 'arrayBuffer',
    });
    expect(new Uint8Array(bytes.data as unknown as ArrayBuffer)).toEqual(png);
    expect(bytes.response.headers.get('content-type')).toBe('image/png');

    const empty = await makeFile(api, `${dir}/empty.txt`, '');
    expect(empty).toMatchObject({ size: 0, contentType: 'text/plain; charset=utf-8' });
  });

  it('takes the content type from the name when the client sends none that says anything', async () => {
    const dir = folder();
    const meta = await makeFile(api, `${dir}/notes.md`, 'x', { contentType: 'application/octet-stream' });
    expect(meta.contentType).toBe('text/markdown');
    expect((await makeFile(api, `${dir}/main.ts`, 'x', { contentType: null })).contentType).toBe(
      'text/typescript',
    );
  });

  it('replaces with If-Match, and refuses a stale or impossible precondition with 412 version_conflict', async () => {
    const path = `${folder()}/doc.txt`;
    const v1 = await makeFile(api, path, 'one');
    const v2 = await putFile(api, path, 'two', { ifMatch: v1.etag! });
    expect(v2.response.status).toBe(200);
    expect(v2.data).toMatchObject({ version: 2, size: 3 });

    const stale = await putFile(api, path, 'three', { ifMatch: v1.etag! });
    expect(failure(stale)).toEqual({
      status: 412,
      code: 'version_conflict',
      message: `${path} changed since you read it (its ETag is ${v2.data!.etag} now); reload it, or send it again without If-Match to overwrite`,
    });
    expect((stale.error as { error: { details: unknown } }).error.details).toEqual({ etag: v2.data!.etag });
    expect((await readFile(api, path)).text).toBe('two');

    expect(failure(await putFile(api, `${path}.missing`, 'x', { ifMatch: '*' }))).toMatchObject({
      status: 412,
      code: 'version_conflict',
    });
    expect(failure(await putFile(api, path, 'x', { ifNoneMatch: '*' }))).toMatchObject({
      status: 412,
      code: 'version_conflict',
      message: `${path} already exists and If-None-Match: * asked for a new file`,
    });
    // Writing what is already there makes no new version.
    expect((await putFile(api, path, 'two')).data).toMatchObject({ version: 2 });
  });

  it('refuses a file over FILES_MAX_BYTES with 413 file_too_large, and takes one at the limit', async () => {
    const dir = folder();
    expect((await putFile(api, `${dir}/at-limit.bin`, new Uint8Array(4096))).response.status).toBe(201);
    const over = await putFile(api, `${dir}/over.bin`, new Uint8Array(4097));
    expect(failure(over)).toEqual({
      status: 413,
      code: 'file_too_large',
      message: 'a file may hold at most 4,096 bytes (FILES_MAX_BYTES)',
    });
    expect((await readFile(api, `${dir}/over.bin`)).status).toBe(404);
  });

  it('answers a folder where a file is wanted, and a file where a folder is, with 409', async () => {
    const dir = folder();
    await makeFile(api, `${dir}/a/b.txt`);
    expect(failure(await putFile(api, `${dir}/a`, 'x'))).toMatchObject({ status: 409, code: 'not_a_file' });
    expect(failure(await putFile(api, `${dir}/a/b.txt/c.txt`, 'x'))).toEqual({
      status: 409,
      code: 'not_a_folder',
      message: `${dir}/a/b.txt is a file, so nothing can be put inside it`,
    });
    const content = await readFile(api, `${dir}/a`);
    expect(content.status).toBe(409);
  });
});

describe('tree, folders and search', () => {
  it('lists a folder one level down by default, folders first, and deeper when asked', async () => {
    const dir = folder();
    await makeFile(api, `${dir}/z.txt`);
    await makeFile(api, `${dir}/b/inner.txt`);
    await makeFile(api, `${dir}/a.txt`);
    const one = await api.GET('/api/v1/files/tree', { params: { query: { path: dir } } });
    expect(one.data).toMatchObject({ path: dir, type: 'folder', access: 'write', truncated: false });
    expect(one.data!.children.map((c) => [c.name, c.type, c.children])).toEqual([
      ['b', 'folder', undefined],
      ['a.txt', 'file', undefined],
      ['z.txt', 'file', undefined],
    ]);
    const two = await api.GET('/api/v1/files/tree', { params: { query: { path: dir, depth: 2 } } });
    expect(pathsOf(two.data!.children)).toEqual([
      `${dir}/b`,
      `${dir}/b/inner.txt`,
      `${dir}/a.txt`,
      `${dir}/z.txt`,
    ]);
    expect(
      failure(await api.GET('/api/v1/files/tree', { params: { query: { path: `${dir}/a.txt` } } })),
    ).toMatchObject({ status: 409, code: 'not_a_folder' });
    const root = await api.GET('/api/v1/files/tree', { params: { query: {} } });
    expect(root.data!.children.map((c) => c.path)).toContain(dir);
  });

  it('makes folders (201, then 200 when there), and refuses one where a file is', async () => {
    const dir = folder();
    const made = await api.POST('/api/v1/files/folders', { body: { path: `${dir}/x/y` } });
    expect(made.response.status).toBe(201);
    expect(made.data).toMatchObject({ path: `${dir}/x/y`, type: 'folder' });
    expect((await api.POST('/api/v1/files/folders', { body: { path: `${dir}/x/y` } })).response.status).toBe(
      200,
    );
    await makeFile(api, `${dir}/f.txt`);
    expect(
      failure(await api.POST('/api/v1/files/folders', { body: { path: `${dir}/f.txt` } })),
    ).toMatchObject({
      status: 409,
      code: 'already_exists',
    });
  });

  it('finds files by part of their name, any case, % and _ taken literally', async () => {
    const dir = folder();
    const tag = `Needle${uniqueSuffix()}`;
    await makeFile(api, `${dir}/one-${tag}.md`);
    await makeFile(api, `${dir}/deep/er/${tag.toLowerCase()}_two.txt`);
    await makeFile(api, `${dir}/100%-${tag}.txt`);
    const found = await api.GET('/api/v1/files/search', { params: { query: { q: tag.toUpperCase() } } });
    expect(found.data!.items.map((i) => i.path).sort()).toEqual(
      [
        `${dir}/one-${tag}.md`,
        `${dir}/deep/er/${tag.toLowerCase()}_two.txt`,
        `${dir}/100%-${tag}.txt`,
      ].sort(),
    );
    const percent = await api.GET('/api/v1/files/search', { params: { query: { q: `%-${tag}` } } });
    expect(percent.data!.items.map((i) => i.path)).toEqual([`${dir}/100%-${tag}.txt`]);
    const paged = await api.GET('/api/v1/files/search', { params: { query: { q: tag, limit: 2 } } });
    expect(paged.data!.items).toHaveLength(2);
    const rest = await api.GET('/api/v1/files/search', {
      params: { query: { q: tag, limit: 2, cursor: paged.data!.nextCursor! } },
    });
    expect(rest.data).toMatchObject({ items: [expect.anything()], nextCursor: null });
  });
});

describe('versions, moves and deletes', () => {
  it('lists earlier versions, serves their bytes, and restores one as a new version', async () => {
    const path = `${folder()}/story.txt`;
    const v1 = await makeFile(api, path, 'first');
    await makeFile(api, path, 'second');
    const v3 = await makeFile(api, path, 'third');
    const versions = await api.GET('/api/v1/files/versions', { params: { query: { path } } });
    expect(versions.data!.items.map((v) => [v.version, v.size, v.writtenBy.type])).toEqual([
      [2, 6, 'user'],
      [1, 5, 'user'],
    ]);
    expect(versions.data!.items[1]!.etag).toBe(v1.etag);
    const old = await api.GET('/api/v1/files/versions/content', {
      params: { query: { path, version: 1 } },
      parseAs: 'text',
    });
    expect(old.data).toBe('first');

    const stale = await api.POST('/api/v1/files/versions/restore', {
      body: { path, version: 1 },
      headers: { 'if-match': v1.etag! },
    });
    expect(failure(stale)).toMatchObject({ status: 412, code: 'version_conflict' });
    const restored = await api.POST('/api/v1/files/versions/restore', {
      body: { path, version: 1 },
      headers: { 'if-match': v3.etag! },
    });
    expect(restored.data).toMatchObject({ version: 4, etag: v1.etag });
    expect((await readFile(api, path)).text).toBe('first');
    expect(failure(await api.POST('/api/v1/files/versions/restore', { body: { path, version: 9 } }))).toEqual(
      {
        status: 404,
        code: 'not_found',
        message: `version 9 of ${path} was not found`,
      },
    );
  });

  it('renames a file and moves a folder with all in it; its versions go along', async () => {
    const dir = folder();
    await makeFile(api, `${dir}/src/a.txt`, 'a1');
    await makeFile(api, `${dir}/src/a.txt`, 'a2');
    await makeFile(api, `${dir}/src/sub/b.txt`, 'b');
    const renamed = await api.POST('/api/v1/files/move', {
      body: { from: `${dir}/src/a.txt`, to: `${dir}/src/c.txt` },
    });
    expect(renamed.data).toMatchObject({ path: `${dir}/src/c.txt`, name: 'c.txt', version: 2 });

    const moved = await api.POST('/api/v1/files/move', {
      body: { from: `${dir}/src`, to: `${dir}/new/place` },
    });
    expect(moved.data).toMatchObject({ path: `${dir}/new/place`, type: 'folder' });
    const tree = await api.GET('/api/v1/files/tree', { params: { query: { path: dir, depth: 4 } } });
    expect(pathsOf(tree.data!.children)).toEqual([
      `${dir}/new`,
      `${dir}/new/place`,
      `${dir}/new/place/sub`,
      `${dir}/new/place/sub/b.txt`,
      `${dir}/new/place/c.txt`,
    ]);
    const versions = await api.GET('/api/v1/files/versions', {
      params: { query: { path: `${dir}/new/place/c.txt` } },
    });
    expect(versions.data!.items.map((v) => v.version)).toEqual([1]);
    expect((await readFile(api, `${dir}/new/place/sub/b.txt`)).text).toBe('b');

    await makeFile(api, `${dir}/other.txt`);
    const taken = await api.POST('/api/v1/files/move', {
      body: { from: `${dir}/other.txt`, to: `${dir}/new/place/c.txt` },
    });
    expect(failure(taken)).toMatchObject({ status: 409, code: 'already_exists' });
    const inside = await api.POST('/api/v1/files/move', {
      body: { from: `${dir}/new`, to: `${dir}/new/place/x` },
    });
    expect(failure(inside)).toEqual({
      status: 400,
      code: 'invalid_move',
      message: `cannot move ${dir}/new to ${dir}/new/place/x: a folder cannot go inside itself`,
    });
  });

  it('deletes a file, refuses a non-empty folder without recursive, and deletes it with', async () => {
    const dir = folder();
    const file = await makeFile(api, `${dir}/f.txt`);
    await makeFile(api, `${dir}/d/one.txt`);
    await makeFile(api, `${dir}/d/e/two.txt`);
    const stale = await api.DELETE('/api/v1/files/content', {
      params: { query: { path: `${dir}/f.txt` } },
      headers: { 'if-match': '"not-it"' },
    });
    expect(failure(stale)).toMatchObject({ status: 412, code: 'version_conflict' });
    const gone = await api.DELETE('/api/v1/files/content', {
      params: { query: { path: `${dir}/f.txt` } },
      headers: { 'if-match': file.etag! },
    });
    expect(gone.response.status).toBe(204);
    expect((await readFile(api, `${dir}/f.txt`)).status).toBe(404);

    const refused = await api.DELETE('/api/v1/files/content', { params: { query: { path: `${dir}/d` } } });
    expect(failure(refused)).toMatchObject({ status: 409, code: 'folder_not_empty' });
    const all = await api.DELETE('/api/v1/files/content', {
      params: { query: { path: `${dir}/d`, recursive: 'true' } },
    });
    expect(all.response.status).toBe(204);
    const tree = await api.GET('/api/v1/files/tree', { params: { query: { path: dir } } });
    expect(tree.data!.children).toEqual([]);
    expect(
      failure(await api.DELETE('/api/v1/files/content', { params: { query: { path: `${dir}/d` } } })),
    ).toEqual({
      status: 404,
      code: 'not_found',
      message: `path ${dir}/d was not found`,
    });
    expect(
      failure(await api.DELETE('/api/v1/files/content', { params: { query: { path: '/' } } })),
    ).toMatchObject({
      status: 400,
      code: 'invalid_path',
    });
  });
});

describe('hostile paths', () => {
  const hostile: Array<[string, string]> = [
    ['/docs/../etc/passwd', 'invalid path: holds a .. segment'],
    ['/docs/%2e%2e/etc', 'invalid path: holds percent-encoding (such as %2e or %2f); send the path decoded'],
    ['/docs%2f..%2fetc', 'invalid path: holds percent-encoding (such as %2e or %2f); send the path decoded'],
    ['/a\0b', 'invalid path: holds a NUL character'],
    ['/a\u0007b', 'invalid path: holds a control character'],
    ['/docs\\..\\etc', 'invalid path: holds a backslash; folders are separated by /'],
    ['//etc/passwd', 'invalid path: holds an empty segment (//)'],
    ['etc/passwd', 'invalid path: must start with / (got "etc/passwd")'],
    [`/${'x'.repeat(1100)}`, 'invalid path: longer than 1024 bytes'],
  ];

  it.each(hostile)(
    '%j is refused with 400 invalid_path on every route that takes a path',
    async (path, message) => {
      const q = { params: { query: { path } } };
      const answers = [
        await api.GET('/api/v1/files/tree', q),
        await api.GET('/api/v1/files/content', q),
        await putFile(api, path, 'x'),
        await api.DELETE('/api/v1/files/content', q),
        await api.GET('/api/v1/files/metadata', q),
        await api.GET('/api/v1/files/versions', q),
        await api.GET('/api/v1/files/versions/content', { params: { query: { path, version: 1 } } }),
        await api.POST('/api/v1/files/versions/restore', { body: { path, version: 1 } }),
        await api.POST('/api/v1/files/move', { body: { from: path, to: '/ok' } }),
        await api.POST('/api/v1/files/move', { body: { from: '/ok', to: path } }),
        await api.POST('/api/v1/files/folders', { body: { path } }),
        await api.GET('/api/v1/files/permissions', q),
        await api.PUT('/api/v1/files/permissions', { ...q, body: { rules: [] } }),
      ];
      for (const answer of answers)
        expect(failure(answer)).toEqual({ status: 400, code: 'invalid_path', message });
    },
  );

  it('refuses traversal the client did not encode: the raw query is decoded once, never twice', async () => {
    for (const raw of [
      'path=/docs/%2e%2e/etc',
      'path=%2fdocs%2f%2e%2e%2fetc',
      'path=/docs/%252e%252e/etc',
      'path=/a%00b',
    ]) {
      const res = await api.GET('/api/v1/files/content', {
        params: { query: { path: 'unused' } },
        querySerializer: () => raw,
      });
      expect(failure(res), raw).toMatchObject({ status: 400, code: 'invalid_path' });
    }
  });
});

describe('realtime', () => {
  it('announces changes and deletions on the files channel, path only', async () => {
    const dir = folder();
    const socket = await openAuthed(server, ownerToken);
    try {
      expect(await subscribe(socket, 'files')).toMatchObject({ type: 'subscribed', channel: 'files' });
      await makeFile(api, `${dir}/live.txt`);
      await api.DELETE('/api/v1/files/content', { params: { query: { path: `${dir}/live.txt` } } });
      const events = [
        await socket.next(ofType('event', { channel: 'files' })),
        await socket.next(ofType('event', { channel: 'files' })),
        await socket.next(ofType('event', { channel: 'files' })),
      ];
      expect(events.map((e) => [e.event, e.data])).toEqual([
        ['file.changed', { path: dir }],
        ['file.changed', { path: `${dir}/live.txt` }],
        ['file.deleted', { path: `${dir}/live.txt` }],
      ]);
    } finally {
      await socket.close();
    }
  });
});
