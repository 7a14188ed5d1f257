import { z } from 'zod';
import { pageQuerySchema } from '../platform/pagination.ts';
import { MAX_DEPTH } from './path.ts';

/** How deep one tree listing may reach. */
export const MAX_TREE_DEPTH = 10;

const path = z.string().meta({
  description:
    'An absolute POSIX path such as /docs/plan.md, decoded once; `..`, `//`, backslashes, control ' +
    `characters, percent-encoding left in, names over 255 bytes, paths over 1,024 bytes or ${MAX_DEPTH} ` +
    'levels deep are refused with 400 invalid_path',
  example: '/docs/plan.md',
});

export const pathQuery = z.object({ path });

const access = z.enum(['none', 'read', 'write']);
const nodeType = z.enum(['file', 'folder']);

export const fileActorSchema = z
  .object({ type: z.enum(['user', 'api_key', 'agent']), id: z.string() })
  .meta({ id: 'FileActor', description: 'Who wrote: a person, an API key, or an agent through its tools' });

export const treeQuery = z.object({
  path: path.default('/'),
  depth: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_TREE_DEPTH)
    .default(1)
    .meta({ description: `Levels to list below the folder (1-${MAX_TREE_DEPTH})` }),
});

const callerAccess = z
  .enum(['read', 'write'])
  .meta({ description: 'What you may do here: read, or read and write' });

export interface TreeEntry {
  path: string;
  name: string;
  type: 'file' | 'folder';
  size?: number | undefined;
  updatedAt: string;
  access: 'read' | 'write';
  children?: TreeEntry[] | undefined;
}

export const treeEntrySchema: z.ZodType<TreeEntry> = z
  .object({
    path: z.string(),
    name: z.string(),
    type: nodeType,
    size: z.number().int().optional().meta({ description: 'Bytes; files only' }),
    updatedAt: z.string(),
    access: callerAccess,
    get children() {
      return z
        .array(treeEntrySchema)
        .optional()
        .meta({ description: 'For folders within the depth asked for' });
    },
  })
  .meta({ id: 'FileTreeEntry' });

export const treeSchema = z
  .object({
    path: z.string(),
    name: z.string(),
    type: z.literal('folder'),
    access: callerAccess,
    children: z.array(treeEntrySchema),
    truncated: z
      .boolean()
      .meta({ description: 'True when the folder holds more than one listing shows; ask for less depth' }),
  })
  .meta({ id: 'FileTree' });

export const metadataSchema = z
  .object({
    path: z.string(),
    name: z.string(),
    type: nodeType,
    size: z.number().int().meta({ description: 'Bytes; 0 for folders' }),
    contentType: z.string().nullable(),
    etag: z
      .string()
      .nullable()
      .meta({ description: 'The content ETag (quoted), for If-Match; null for folders' }),
    version: z.number().int().nullable().meta({ description: 'Counts writes from 1; null for folders' }),
    createdBy: fileActorSchema.nullable(),
    updatedBy: fileActorSchema.nullable(),
    createdAt: z.string().nullable(),
    updatedAt: z.string().nullable(),
    access: callerAccess,
  })
  .meta({ id: 'FileMetadata' });

export const conditionalHeaders = z.object({
  'if-match': z.string().max(200).optional().meta({
    description:
      'The ETag you read; the write is refused with 412 version_conflict when it changed. `*`: must exist',
  }),
  'if-none-match': z.string().max(200).optional().meta({
    description: 'On GET: 304 when the ETag still matches. On PUT, `*`: create only, 412 if it exists',
  }),
});

export const deleteQuery = pathQuery.extend({
  recursive: z.stringbool().default(false).meta({ description: 'A folder: delete it with everything in it' }),
});

export const moveBody = z
  .strictObject({
    from: path,
    to: path.meta({ description: 'The new path; it must not exist. Parent folders are made' }),
  })
  .meta({ id: 'MoveFileRequest' });

export const folderBody = z.strictObject({ path }).meta({ id: 'CreateFolderRequest' });

export const versionsQuery = pageQuerySchema.extend({ path });

export const fileVersionSchema = z
  .object({
    version: z.number().int(),
    size: z.number().int(),
    contentType: z.string(),
    etag: z.string(),
    writtenBy: fileActorSchema,
    writtenAt: z.string(),
  })
  .meta({ id: 'FileVersion' });

export const versionContentQuery = z.object({ path, version: z.coerce.number().int().min(1) });

export const restoreBody = z
  .strictObject({ path, version: z.number().int().min(1) })
  .meta({ id: 'RestoreFileVersionRequest' });

export const searchQuery = z.object({
  q: z.string().trim().min(1).max(200).meta({ description: 'Part of a name, any case' }),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(2000).optional(),
});

export const searchHitSchema = z
  .object({
    path: z.string(),
    name: z.string(),
    type: nodeType,
    size: z.number().int(),
    updatedAt: z.string(),
    access: callerAccess,
  })
  .meta({ id: 'FileSearchHit' });

const subject = z.object({
  type: z.enum(['role', 'member', 'agent']),
  id: z.string().min(1).max(100),
});

export const ruleSchema = z
  .object({
    subject: subject.extend({
      name: z.string().nullable().meta({ description: 'Its current name; null once it no longer exists' }),
    }),
    access,
  })
  .meta({ id: 'FileRule' });

export const permissionsSchema = z
  .object({
    path: z.string(),
    rules: z.array(ruleSchema).meta({ description: 'The rules set at this path' }),
    inherited: z.array(ruleSchema.extend({ path: z.string() })).meta({
      description: 'Rules of the folders above, nearest first; a rule here for the same subject wins',
    }),
    access: access.meta({
      description: 'What you may do here now (none after you took your own access away)',
    }),
  })
  .meta({ id: 'FilePermissions' });

export const putPermissionsBody = z
  .strictObject({
    rules: z.array(z.strictObject({ subject: z.strictObject(subject.shape), access })).max(100),
  })
  .meta({ id: 'PutFilePermissionsRequest' });

export type PutPermissionsInput = z.infer<typeof putPermissionsBody>;

/** Raw bytes in a request or response body, as OpenAPI says them (the client sees a Blob). */
export const bytesSchema = z
  .custom<Buffer | null>((value) => value == null || Buffer.isBuffer(value))
  .meta({ type: 'string', format: 'binary' });
