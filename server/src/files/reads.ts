import type { Db } from '../platform/db/index.ts';
import { Errors } from '../platform/errors.ts';
import { atLeast } from './access.ts';
import type { Caller } from './callers.ts';
import { FileErrors } from './errors.ts';
import { depthOf, nameOf, normalisePath, parentOf, ROOT } from './path.ts';
import { presentMetadata, presentVersion, rootMetadata, shownAccess } from './present.ts';
import type { TreeEntry } from './schema.ts';
import * as store from './store.ts';

/** A listing shows at most this many entries; past it, `truncated` says so. */
export const MAX_LISTED = 2_000;
/** A search page reads at most this many matches looking for ones the caller may see. */
const SEARCH_SCAN = 2_000;
const SEARCH_BATCH = 200;

/** The node at a path the caller may read; missing and unreadable are the same 404. */
export async function readableNode(db: Db, c: Caller, path: string): Promise<store.NodeRecord> {
  const node = atLeast(c.at(path), 'read') ? await store.findNode(db, c.orgId, path) : undefined;
  if (!node) throw FileErrors.notFound(path);
  return node;
}

async function readableFile(db: Db, c: Caller, path: string): Promise<store.NodeRecord> {
  const node = await readableNode(db, c, path);
  if (node.type !== 'file') throw FileErrors.notAFile(path);
  return node;
}

const byFolderThenName = (a: TreeEntry, b: TreeEntry) =>
  a.type !== b.type ? (a.type === 'folder' ? -1 : 1) : a.name.localeCompare(b.name);

/** Nests rows under the folder listed; a row whose folder the caller cannot see is left out with it. */
function nest(c: Caller, folder: string, rows: store.NodeRecord[], depth: number): TreeEntry[] {
  const top: TreeEntry[] = [];
  const folders = new Map<string, TreeEntry>();
  const base = depthOf(folder);
  const ordered = [...rows].sort((a, b) => depthOf(a.path) - depthOf(b.path));
  for (const row of ordered) {
    const access = c.at(row.path);
    if (!atLeast(access, 'read')) continue;
    const parent = parentOf(row.path);
    const siblings = parent === folder ? top : folders.get(parent)?.children;
    if (!siblings) continue;
    const entry: TreeEntry = {
      path: row.path,
      name: row.name,
      type: row.type,
      ...(row.type === 'file' ? { size: row.size } : {}),
      updatedAt: row.updatedAt.toISOString(),
      access: shownAccess(access),
    };
    if (row.type === 'folder' && depthOf(row.path) - base < depth) {
      entry.children = [];
      folders.set(row.path, entry);
    }
    siblings.push(entry);
  }
  const sortAll = (entries: TreeEntry[]) => {
    entries.sort(byFolderThenName);
    for (const e of entries) if (e.children) sortAll(e.children);
  };
  sortAll(top);
  return top;
}

function encodeCursor(path: string): string {
  return Buffer.from(path, 'utf8').toString('base64url');
}

function decodePathCursor(cursor: string | undefined): string | undefined {
  if (!cursor) return undefined;
  try {
    return normalisePath(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw Errors.validation('cursor is not valid');
  }
}

/** Listing, reading and searching: every answer holds only what the caller may read. */
export function createReads(db: Db) {
  return {
    async tree(c: Caller, raw: string, depth: number) {
      const path = normalisePath(raw);
      if (path !== ROOT) {
        const node = await readableNode(db, c, path);
        if (node.type !== 'folder') throw FileErrors.notAFolder(path);
      }
      const rows = await store.listUnder(db, c.orgId, { path, depth: depthOf(path) }, depth, MAX_LISTED + 1);
      return {
        path,
        name: nameOf(path),
        type: 'folder' as const,
        access: shownAccess(c.at(path)),
        children: nest(c, path, rows.slice(0, MAX_LISTED), depth),
        truncated: rows.length > MAX_LISTED,
      };
    },

    async metadata(c: Caller, raw: string) {
      const path = normalisePath(raw);
      if (path === ROOT) return rootMetadata(c.at(ROOT));
      return presentMetadata(await readableNode(db, c, path), c.at(path));
    },

    /** The bytes of a file with what a response needs to carry them. */
    async content(c: Caller, raw: string) {
      const path = normalisePath(raw);
      const row = atLeast(c.at(path), 'read') ? await store.readContent(db, c.orgId, path) : undefined;
      if (!row) throw FileErrors.notFound(path);
      if (row.type !== 'file') throw FileErrors.notAFile(path);
      return {
        path,
        name: row.name,
        bytes: row.content ?? Buffer.alloc(0),
        contentType: row.contentType ?? 'application/octet-stream',
        etag: row.etag ?? '""',
        version: row.version,
      };
    },

    async versions(c: Caller, raw: string, page: { limit: number; cursor?: string | undefined }) {
      const path = normalisePath(raw);
      const node = await readableFile(db, c, path);
      const before =
        page.cursor === undefined ? undefined : Number(Buffer.from(page.cursor, 'base64url').toString());
      if (before !== undefined && !Number.isInteger(before)) throw Errors.validation('cursor is not valid');
      const rows = await store.listVersions(db, c.orgId, node.id, { limit: page.limit + 1, before });
      const items = rows.slice(0, page.limit);
      const last = items.at(-1);
      return {
        items: items.map(presentVersion),
        nextCursor:
          rows.length > page.limit && last ? Buffer.from(String(last.version)).toString('base64url') : null,
      };
    },

    async versionContent(c: Caller, raw: string, version: number) {
      const path = normalisePath(raw);
      const node = await readableFile(db, c, path);
      const row = await store.readVersion(db, c.orgId, node.id, version);
      if (!row) throw FileErrors.versionNotFound(path, version);
      return { path, name: node.name, bytes: row.content, contentType: row.contentType, etag: row.etag };
    },

    /**
     * Files and folders whose name holds `q`, by path. Matches the caller may not read are skipped; a
     * page may come back short (even empty) with a cursor when many were skipped, and the next goes on.
     */
    async search(c: Caller, q: string, page: { limit: number; cursor?: string | undefined }) {
      let after = decodePathCursor(page.cursor);
      const hits: store.NodeRecord[] = [];
      let scanned = 0;
      let exhausted = false;
      while (hits.length <= page.limit && scanned < SEARCH_SCAN) {
        const rows = await store.searchByName(db, c.orgId, q, { after, limit: SEARCH_BATCH });
        for (const row of rows) {
          after = row.path;
          scanned++;
          if (atLeast(c.at(row.path), 'read')) hits.push(row);
          if (hits.length > page.limit) break;
        }
        if (rows.length < SEARCH_BATCH) {
          exhausted = hits.length <= page.limit;
          break;
        }
      }
      const items = hits.slice(0, page.limit);
      const more = hits.length > page.limit || (!exhausted && after !== undefined);
      const resumeAt = hits.length > page.limit ? items.at(-1)?.path : after;
      return {
        items: items.map((n) => ({
          path: n.path,
          name: n.name,
          type: n.type,
          size: n.type === 'file' ? n.size : 0,
          updatedAt: n.updatedAt.toISOString(),
          access: shownAccess(c.at(n.path)),
        })),
        nextCursor: more && resumeAt !== undefined ? encodeCursor(resumeAt) : null,
      };
    },
  };
}

export type Reads = ReturnType<typeof createReads>;
