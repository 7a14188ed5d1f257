import { recordAudit } from '../audit/service.ts';
import type { Bus } from '../platform/bus.ts';
import { isUniqueViolation } from '../platform/db/errors.ts';
import type { Db } from '../platform/db/index.ts';
import { inTransaction, type Work } from '../platform/db/work.ts';
import { newId } from '../platform/ids.ts';
import type { Caller, Callers } from './callers.ts';
import { auditEvent, checkPreconditions, checkSize, contentTypeFor, etagOf } from './content.ts';
import { FileErrors } from './errors.ts';
import { type FileEventType, publishFileEvent } from './events.ts';
import { ancestorsOf, depthOf, isUnder, nameOf, normalisePath, parentOf, ROOT, rebase } from './path.ts';
import { type FileMetadata, presentMetadata, rootMetadata } from './present.ts';
import { readableNode } from './reads.ts';
import * as store from './store.ts';

/** Earlier versions kept per file; older ones are deleted as new ones come. */
export const MAX_VERSIONS = 50;

export interface WriteBody {
  bytes: Buffer;
  contentType?: string | undefined;
  ifMatch?: string | undefined;
  ifNoneMatch?: string | undefined;
}

export interface WriteResult {
  created: boolean;
  metadata: FileMetadata;
}

/** Creating, replacing, restoring, moving and deleting; each change is audited and announced after commit. */
export function createWrites(deps: { db: Db; bus: Bus; callers: Callers; maxBytes: number }) {
  const { db } = deps;

  const announce = (work: Work, c: Caller, type: FileEventType, path: string) =>
    work.afterCommit(() => publishFileEvent(deps.bus, c.orgId, type, path));

  const requireWrite = (c: Caller, path: string, what: string) => {
    if (c.at(path) !== 'write') throw FileErrors.forbidden(path, what);
  };

  const folderRow = (c: Caller, path: string): store.NodeInsert => ({
    id: newId('fil'),
    orgId: c.orgId,
    path,
    parentPath: parentOf(path),
    name: nameOf(path),
    depth: depthOf(path),
    type: 'folder',
    createdBy: c.actor,
    updatedBy: c.actor,
  });

  /** Makes `folder` and the folders above it that are missing; refuses when a file stands in the way. */
  async function ensureFolders(work: Work, c: Caller, folder: string): Promise<string[]> {
    if (folder === ROOT) return [];
    const wanted = [...ancestorsOf(folder).slice(1), folder];
    const existing = await store.findNodes(work.tx, c.orgId, wanted);
    const file = existing.find((n) => n.type === 'file');
    if (file) throw FileErrors.notAFolder(file.path);
    const missing = wanted.filter((p) => !existing.some((n) => n.path === p));
    await store.insertFolders(
      work.tx,
      missing.map((p) => folderRow(c, p)),
    );
    for (const p of missing) announce(work, c, 'file.changed', p);
    return missing;
  }

  /** Runs a change again once if it raced another creating the same path (the unique key refused it). */
  async function once<T>(change: () => Promise<T>): Promise<T> {
    try {
      return await change();
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      return change();
    }
  }

  async function write(
    c: Caller,
    raw: string,
    body: WriteBody,
    audit: { action: string; details?: Record<string, unknown> } = { action: 'file.write' },
  ): Promise<WriteResult> {
    const path = normalisePath(raw);
    if (path === ROOT) throw FileErrors.notAFile(ROOT);
    checkSize(body.bytes, deps.maxBytes);
    requireWrite(c, path, 'write');
    const etag = etagOf(body.bytes);
    const contentType = contentTypeFor(body.contentType, nameOf(path));
    return once(() =>
      inTransaction(db, async (work) => {
        const { tx } = work;
        await ensureFolders(work, c, parentOf(path));
        const current = await store.findNodeForUpdate(tx, c.orgId, path);
        if (current?.type === 'folder') throw FileErrors.notAFile(path);
        checkPreconditions(path, current, body);
        if (current && current.etag === etag && current.contentType === contentType) {
          return { created: false, metadata: presentMetadata(current, 'write') };
        }
        const facts = { size: body.bytes.length, contentType, etag, content: body.bytes, updatedBy: c.actor };
        let node: store.NodeRecord;
        if (current) {
          await store.archiveCurrent(tx, c.orgId, current.id, newId('fiv'));
          node = await store.updateFile(tx, c.orgId, current.id, { ...facts, version: current.version + 1 });
          await store.pruneVersions(tx, c.orgId, node.id, node.version - 1 - MAX_VERSIONS);
        } else {
          node = await store.insertNode(tx, { ...folderRow(c, path), type: 'file', ...facts, version: 1 });
        }
        await recordAudit(
          tx,
          auditEvent(c, audit.action, path, {
            version: node.version,
            size: node.size,
            created: !current,
            ...audit.details,
          }),
        );
        announce(work, c, 'file.changed', path);
        return { created: !current, metadata: presentMetadata(node, 'write') };
      }),
    );
  }

  return {
    write,

    /** Makes a folder and those above it; `created` is false when it was there already. */
    async makeFolder(c: Caller, raw: string): Promise<WriteResult> {
      const path = normalisePath(raw);
      if (path === ROOT) return { created: false, metadata: rootMetadata(c.at(ROOT)) };
      requireWrite(c, path, 'write');
      return once(() =>
        inTransaction(db, async (work) => {
          const there = await store.findNode(work.tx, c.orgId, path);
          if (there?.type === 'file') throw FileErrors.alreadyExists(path);
          const made = await ensureFolders(work, c, path);
          const node = there ?? (await store.findNode(work.tx, c.orgId, path))!;
          if (made.includes(path)) await recordAudit(work.tx, auditEvent(c, 'folder.create', path, {}));
          return { created: made.includes(path), metadata: presentMetadata(node, 'write') };
        }),
      );
    },

    /** Deletes a file, or a folder (with `recursive` when it holds anything) and its rules. */
    async remove(c: Caller, raw: string, options: { recursive: boolean; ifMatch?: string | undefined }) {
      const path = normalisePath(raw);
      if (path === ROOT) throw FileErrors.rootFixed('deleted');
      const node = await readableNode(db, c, path);
      requireWrite(c, path, 'delete');
      if (node.type === 'folder') {
        const entries = await store.subtree(db, c.orgId, path);
        if (entries.length > 1 && !options.recursive) throw FileErrors.folderNotEmpty(path);
        if (entries.some((e) => c.at(e.path) !== 'write')) throw FileErrors.holdsProtected(path, 'delete');
      }
      await inTransaction(db, async (work) => {
        const current = await store.findNodeForUpdate(work.tx, c.orgId, path);
        if (!current) throw FileErrors.notFound(path);
        if (current.type === 'file') checkPreconditions(path, current, options);
        else if (!options.recursive && (await store.hasChildren(work.tx, c.orgId, path)))
          throw FileErrors.folderNotEmpty(path);
        const removed = await store.deleteSubtree(work.tx, c.orgId, path);
        const rules = await store.deleteRulesWithin(work.tx, c.orgId, path);
        await recordAudit(work.tx, auditEvent(c, 'file.delete', path, { type: current.type, removed }));
        announce(work, c, 'file.deleted', path);
        if (rules) work.afterCommit(() => deps.callers.rulesChanged(c.orgId));
      });
    },

    /** Moves (renames) a file or a folder with everything in it and its rules; `to` must not exist. */
    async move(c: Caller, rawFrom: string, rawTo: string): Promise<FileMetadata> {
      const from = normalisePath(rawFrom);
      const to = normalisePath(rawTo);
      if (from === ROOT) throw FileErrors.invalidMove(from, to, 'the root folder stays where it is');
      if (to === ROOT) throw FileErrors.invalidMove(from, to, 'the root folder already exists');
      if (from === to) throw FileErrors.invalidMove(from, to, 'it is already there');
      if (isUnder(to, from)) throw FileErrors.invalidMove(from, to, 'a folder cannot go inside itself');
      await readableNode(db, c, from);
      requireWrite(c, from, 'move');
      for (const entry of await store.subtree(db, c.orgId, from)) {
        if (c.at(entry.path) !== 'write') throw FileErrors.holdsProtected(from, 'move');
        try {
          normalisePath(rebase(entry.path, from, to));
        } catch {
          throw FileErrors.invalidMove(
            from,
            to,
            `${rebase(entry.path, from, to)} would be too deep or too long`,
          );
        }
      }
      requireWrite(c, to, 'write');
      return inTransaction(db, async (work) => {
        await ensureFolders(work, c, parentOf(to));
        if (await store.findNodeForUpdate(work.tx, c.orgId, to)) throw FileErrors.alreadyExists(to);
        const moved = await store.moveSubtree(work.tx, c.orgId, {
          from,
          to,
          toParent: parentOf(to),
          toName: nameOf(to),
          depthChange: depthOf(to) - depthOf(from),
        });
        if (moved === 0) throw FileErrors.notFound(from);
        const rules = await store.moveRules(work.tx, c.orgId, from, to);
        await recordAudit(work.tx, auditEvent(c, 'file.move', to, { from, to, moved }));
        announce(work, c, 'file.deleted', from);
        announce(work, c, 'file.changed', to);
        if (rules) work.afterCommit(() => deps.callers.rulesChanged(c.orgId));
        const node = await store.findNode(work.tx, c.orgId, to);
        return presentMetadata(node!, c.at(to));
      });
    },

    /** Makes an earlier version the current one again, as a new version (the current one is kept). */
    async restore(
      c: Caller,
      raw: string,
      version: number,
      ifMatch: string | undefined,
    ): Promise<WriteResult> {
      const path = normalisePath(raw);
      const node = await readableNode(db, c, path);
      if (node.type !== 'file') throw FileErrors.notAFile(path);
      const earlier = await store.readVersion(db, c.orgId, node.id, version);
      if (!earlier) throw FileErrors.versionNotFound(path, version);
      const body = { bytes: earlier.content, contentType: earlier.contentType, ifMatch };
      return write(c, path, body, { action: 'file.restore', details: { restoredVersion: version } });
    },
  };
}

export type Writes = ReturnType<typeof createWrites>;
