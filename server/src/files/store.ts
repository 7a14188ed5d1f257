import { and, asc, desc, eq, gt, inArray, lt, lte, or, type SQL, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { Tx } from '../platform/db/index.ts';
import type { Access, Rule, SubjectType } from './access.ts';
import { ROOT } from './path.ts';
import { type FileActor, fileNodes, fileRules, fileVersions } from './tables.ts';

/** A file or folder without its bytes. */
export interface NodeRecord {
  id: string;
  path: string;
  name: string;
  type: 'file' | 'folder';
  size: number;
  contentType: string | null;
  etag: string | null;
  version: number;
  createdBy: FileActor;
  updatedBy: FileActor;
  createdAt: Date;
  updatedAt: Date;
}

export interface VersionRecord {
  version: number;
  size: number;
  contentType: string;
  etag: string;
  writtenBy: FileActor;
  writtenAt: Date;
}

const nodeColumns = {
  id: fileNodes.id,
  path: fileNodes.path,
  name: fileNodes.name,
  type: fileNodes.type,
  size: fileNodes.size,
  contentType: fileNodes.contentType,
  etag: fileNodes.etag,
  version: fileNodes.version,
  createdBy: fileNodes.createdBy,
  updatedBy: fileNodes.updatedBy,
  createdAt: fileNodes.createdAt,
  updatedAt: fileNodes.updatedAt,
};

/** `column` is `path` or lies under it (every path lies under the root). */
function within(column: PgColumn, path: string): SQL {
  if (path === ROOT) return sql`true`;
  return or(eq(column, path), sql`starts_with(${column}, ${`${path}/`}::text)`)!;
}

/** A path column's value after `from` moved to `to` (for rows at or under `from`). */
function rebased(column: PgColumn, from: string, to: string): SQL {
  return sql`${to}::text || substr(${column}, length(${from}::text) + 1)`;
}

export async function findNode(tx: Tx, orgId: string, path: string): Promise<NodeRecord | undefined> {
  const [row] = await tx
    .select(nodeColumns)
    .from(fileNodes)
    .where(and(eq(fileNodes.orgId, orgId), eq(fileNodes.path, path)));
  return row;
}

/** Locks the row for the rest of the transaction, so concurrent writes to one file take turns. */
export async function findNodeForUpdate(
  tx: Tx,
  orgId: string,
  path: string,
): Promise<NodeRecord | undefined> {
  const [row] = await tx
    .select(nodeColumns)
    .from(fileNodes)
    .where(and(eq(fileNodes.orgId, orgId), eq(fileNodes.path, path)))
    .for('update');
  return row;
}

/** The nodes at these paths (the folders above a path, say). */
export async function findNodes(tx: Tx, orgId: string, paths: string[]): Promise<NodeRecord[]> {
  if (paths.length === 0) return [];
  return tx
    .select(nodeColumns)
    .from(fileNodes)
    .where(and(eq(fileNodes.orgId, orgId), inArray(fileNodes.path, paths)));
}

export async function readContent(
  tx: Tx,
  orgId: string,
  path: string,
): Promise<(NodeRecord & { content: Buffer | null }) | undefined> {
  const [row] = await tx
    .select({ ...nodeColumns, content: fileNodes.content })
    .from(fileNodes)
    .where(and(eq(fileNodes.orgId, orgId), eq(fileNodes.path, path)));
  return row;
}

/**
 * What lies under `folder`, at most `depth` levels down, by path, at most `limit` rows. One level is
 * read through the parent index; deeper listings read the subtree.
 */
export async function listUnder(
  tx: Tx,
  orgId: string,
  folder: { path: string; depth: number },
  depth: number,
  limit: number,
): Promise<NodeRecord[]> {
  const where =
    depth === 1
      ? eq(fileNodes.parentPath, folder.path)
      : and(
          within(fileNodes.path, folder.path),
          gt(fileNodes.depth, folder.depth),
          lte(fileNodes.depth, folder.depth + depth),
        );
  return tx
    .select(nodeColumns)
    .from(fileNodes)
    .where(and(eq(fileNodes.orgId, orgId), where))
    .orderBy(asc(fileNodes.path))
    .limit(limit);
}

/** Every path at or under `path`, with its type (what a recursive delete or a move would touch). */
export async function subtree(
  tx: Tx,
  orgId: string,
  path: string,
): Promise<Array<{ path: string; type: 'file' | 'folder' }>> {
  return tx
    .select({ path: fileNodes.path, type: fileNodes.type })
    .from(fileNodes)
    .where(and(eq(fileNodes.orgId, orgId), within(fileNodes.path, path)))
    .orderBy(asc(fileNodes.path));
}

export async function hasChildren(tx: Tx, orgId: string, path: string): Promise<boolean> {
  const [row] = await tx
    .select({ id: fileNodes.id })
    .from(fileNodes)
    .where(and(eq(fileNodes.orgId, orgId), eq(fileNodes.parentPath, path)))
    .limit(1);
  return row !== undefined;
}

export type NodeInsert = typeof fileNodes.$inferInsert;

export async function insertNode(tx: Tx, row: NodeInsert): Promise<NodeRecord> {
  const [inserted] = await tx.insert(fileNodes).values(row).returning(nodeColumns);
  return inserted!;
}

/** Makes folders that do not exist yet; a folder made meanwhile by someone else is left as it is. */
export async function insertFolders(tx: Tx, rows: NodeInsert[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.insert(fileNodes).values(rows).onConflictDoNothing();
}

export async function updateFile(
  tx: Tx,
  orgId: string,
  id: string,
  patch: Pick<NodeInsert, 'size' | 'contentType' | 'etag' | 'version' | 'content' | 'updatedBy'>,
): Promise<NodeRecord> {
  const [row] = await tx
    .update(fileNodes)
    .set({ ...patch, updatedAt: new Date() })
    .where(and(eq(fileNodes.orgId, orgId), eq(fileNodes.id, id)))
    .returning(nodeColumns);
  return row!;
}

/** Deletes `path` and everything under it; answers how many nodes went. */
export async function deleteSubtree(tx: Tx, orgId: string, path: string): Promise<number> {
  const rows = await tx
    .delete(fileNodes)
    .where(and(eq(fileNodes.orgId, orgId), within(fileNodes.path, path)))
    .returning({ id: fileNodes.id });
  return rows.length;
}

/** Moves `from` and everything under it to `to` (which must not exist); answers how many moved. */
export async function moveSubtree(
  tx: Tx,
  orgId: string,
  move: { from: string; to: string; toParent: string; toName: string; depthChange: number },
): Promise<number> {
  const { from, to } = move;
  const rows = await tx
    .update(fileNodes)
    .set({
      path: rebased(fileNodes.path, from, to),
      parentPath: sql`case when ${fileNodes.path} = ${from} then ${move.toParent}::text else ${rebased(fileNodes.parentPath, from, to)} end`,
      name: sql`case when ${fileNodes.path} = ${from} then ${move.toName}::text else ${fileNodes.name} end`,
      depth: sql`${fileNodes.depth} + ${move.depthChange}::int`,
    })
    .where(and(eq(fileNodes.orgId, orgId), within(fileNodes.path, from)))
    .returning({ id: fileNodes.id });
  return rows.length;
}

/** Nodes whose name holds `q` (case-insensitive), by path, from after `after`. */
export async function searchByName(
  tx: Tx,
  orgId: string,
  q: string,
  page: { after: string | undefined; limit: number },
): Promise<NodeRecord[]> {
  const pattern = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const where = [eq(fileNodes.orgId, orgId), sql`${fileNodes.name} ilike ${pattern} escape '\\'`];
  if (page.after !== undefined) where.push(gt(fileNodes.path, page.after));
  return tx
    .select(nodeColumns)
    .from(fileNodes)
    .where(and(...where))
    .orderBy(asc(fileNodes.path))
    .limit(page.limit);
}

// ---- versions --------------------------------------------------------------------------------

const versionColumns = {
  version: fileVersions.version,
  size: fileVersions.size,
  contentType: fileVersions.contentType,
  etag: fileVersions.etag,
  writtenBy: fileVersions.writtenBy,
  writtenAt: fileVersions.writtenAt,
};

/** Copies a file's current bytes and facts into its versions, before a write replaces them. */
export async function archiveCurrent(
  tx: Tx,
  orgId: string,
  fileId: string,
  versionId: string,
): Promise<void> {
  await tx.execute(sql`
    insert into ${fileVersions}
      (id, org_id, file_id, version, size, content_type, etag, content, written_by, written_at)
    select ${versionId}::text, org_id, id, version, size, coalesce(content_type, 'application/octet-stream'),
      coalesce(etag, ''), coalesce(content, ''::bytea), updated_by, updated_at
    from ${fileNodes}
    where ${fileNodes.orgId} = ${orgId} and ${fileNodes.id} = ${fileId} and ${fileNodes.type} = 'file'`);
}

/** Newest first; `before` is a version number from the previous page. */
export async function listVersions(
  tx: Tx,
  orgId: string,
  fileId: string,
  page: { limit: number; before?: number | undefined },
): Promise<VersionRecord[]> {
  const base = and(eq(fileVersions.orgId, orgId), eq(fileVersions.fileId, fileId));
  return tx
    .select(versionColumns)
    .from(fileVersions)
    .where(page.before === undefined ? base : and(base, lt(fileVersions.version, page.before)))
    .orderBy(desc(fileVersions.version))
    .limit(page.limit);
}

export async function readVersion(
  tx: Tx,
  orgId: string,
  fileId: string,
  version: number,
): Promise<(VersionRecord & { content: Buffer }) | undefined> {
  const [row] = await tx
    .select({ ...versionColumns, content: fileVersions.content })
    .from(fileVersions)
    .where(
      and(eq(fileVersions.orgId, orgId), eq(fileVersions.fileId, fileId), eq(fileVersions.version, version)),
    );
  return row;
}

/** Deletes the earlier versions of a file numbered `upTo` and below (only the newest are kept). */
export async function pruneVersions(tx: Tx, orgId: string, fileId: string, upTo: number): Promise<void> {
  if (upTo < 1) return;
  await tx
    .delete(fileVersions)
    .where(
      and(eq(fileVersions.orgId, orgId), eq(fileVersions.fileId, fileId), lte(fileVersions.version, upTo)),
    );
}

// ---- rules -----------------------------------------------------------------------------------

/** Every rule of the org (they are few; the resolver reads them from memory). */
export async function listRules(tx: Tx, orgId: string): Promise<Rule[]> {
  const rows = await tx
    .select({
      path: fileRules.path,
      subjectType: fileRules.subjectType,
      subjectId: fileRules.subjectId,
      access: fileRules.access,
    })
    .from(fileRules)
    .where(eq(fileRules.orgId, orgId))
    .orderBy(asc(fileRules.path), asc(fileRules.subjectType), asc(fileRules.subjectId));
  return rows.map((r) => ({
    path: r.path,
    subject: { type: r.subjectType, id: r.subjectId },
    access: r.access,
  }));
}

/** Replaces the rules at exactly `path`. */
export async function replaceRules(
  tx: Tx,
  orgId: string,
  path: string,
  rules: Array<{ id: string; subject: { type: SubjectType; id: string }; access: Access }>,
  by: FileActor,
): Promise<void> {
  await tx.delete(fileRules).where(and(eq(fileRules.orgId, orgId), eq(fileRules.path, path)));
  if (rules.length === 0) return;
  await tx.insert(fileRules).values(
    rules.map((r) => ({
      id: r.id,
      orgId,
      path,
      subjectType: r.subject.type,
      subjectId: r.subject.id,
      access: r.access,
      createdBy: by,
    })),
  );
}

/** Deletes the rules at `path` and under it (what was deleted takes its rules along); answers how many. */
export async function deleteRulesWithin(tx: Tx, orgId: string, path: string): Promise<number> {
  const rows = await tx
    .delete(fileRules)
    .where(and(eq(fileRules.orgId, orgId), within(fileRules.path, path)))
    .returning({ id: fileRules.id });
  return rows.length;
}

/** Moves the rules at `from` and under it along with the files; answers how many moved. */
export async function moveRules(tx: Tx, orgId: string, from: string, to: string): Promise<number> {
  const rows = await tx
    .update(fileRules)
    .set({ path: rebased(fileRules.path, from, to) })
    .where(and(eq(fileRules.orgId, orgId), within(fileRules.path, from)))
    .returning({ id: fileRules.id });
  return rows.length;
}
