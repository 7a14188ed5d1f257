import { customType, index, integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { orgs } from '../identity/tables.ts';
import { createdAt, ts } from '../platform/db/columns.ts';
import type { Access, SubjectType } from './access.ts';

const orgId = () =>
  text('org_id')
    .notNull()
    .references(() => orgs.id, { onDelete: 'cascade' });

/** Bytes as `bytea`: PostgreSQL's driver reads them as a Buffer, PGlite as a Uint8Array; both leave as a Buffer. */
const bytea = customType<{ data: Buffer; driverData: Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value)),
});

/** Who wrote: a user, an API key, or an agent through its tools. */
export interface FileActor {
  type: 'user' | 'api_key' | 'agent';
  id: string;
}

/**
 * The org's file tree: one row per file or folder, by normal path. A file's current bytes live in the
 * row (read only by the content routes; listings select around them).
 */
export const fileNodes = pgTable(
  'file_nodes',
  {
    id: text('id').primaryKey(),
    orgId: orgId(),
    path: text('path').notNull(),
    /** The folder holding it (`/` for the top level), so a folder is listed through an index. */
    parentPath: text('parent_path').notNull(),
    name: text('name').notNull(),
    /** Levels below the root: `/a` 1, `/a/b` 2. */
    depth: integer('depth').notNull(),
    type: text('type').$type<'file' | 'folder'>().notNull(),
    size: integer('size').notNull().default(0),
    contentType: text('content_type'),
    /** A hash of the bytes, the strong ETag of the content. */
    etag: text('etag'),
    version: integer('version').notNull().default(1),
    content: bytea('content'),
    createdBy: jsonb('created_by').$type<FileActor>().notNull(),
    updatedBy: jsonb('updated_by').$type<FileActor>().notNull(),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('file_nodes_org_path_key').on(t.orgId, t.path),
    index('file_nodes_org_parent_idx').on(t.orgId, t.parentPath),
  ],
);

/** Earlier versions of a file, each as it was before a write replaced it. */
export const fileVersions = pgTable(
  'file_versions',
  {
    id: text('id').primaryKey(),
    orgId: orgId(),
    fileId: text('file_id')
      .notNull()
      .references(() => fileNodes.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    size: integer('size').notNull(),
    contentType: text('content_type').notNull(),
    etag: text('etag').notNull(),
    content: bytea('content').notNull(),
    /** Who wrote this version, and when. */
    writtenBy: jsonb('written_by').$type<FileActor>().notNull(),
    writtenAt: ts('written_at').notNull(),
  },
  (t) => [uniqueIndex('file_versions_file_version_key').on(t.fileId, t.version)],
);

/** Per-path access rules; a rule holds for its path and everything under it unless a deeper one speaks. */
export const fileRules = pgTable(
  'file_rules',
  {
    id: text('id').primaryKey(),
    orgId: orgId(),
    path: text('path').notNull(),
    subjectType: text('subject_type').$type<SubjectType>().notNull(),
    subjectId: text('subject_id').notNull(),
    access: text('access').$type<Access>().notNull(),
    createdBy: jsonb('created_by').$type<FileActor>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('file_rules_org_path_subject_key').on(t.orgId, t.path, t.subjectType, t.subjectId)],
);
