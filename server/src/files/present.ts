import type { z } from 'zod';
import type { Access } from './access.ts';
import type { metadataSchema } from './schema.ts';
import type { NodeRecord, VersionRecord } from './store.ts';

export type FileMetadata = z.infer<typeof metadataSchema>;

/** What the caller may do, as the API says it (a node it cannot read is never presented). */
export const shownAccess = (access: Access): 'read' | 'write' => (access === 'write' ? 'write' : 'read');

export function presentMetadata(node: NodeRecord, access: Access): FileMetadata {
  const file = node.type === 'file';
  return {
    path: node.path,
    name: node.name,
    type: node.type,
    size: file ? node.size : 0,
    contentType: file ? node.contentType : null,
    etag: file ? node.etag : null,
    version: file ? node.version : null,
    createdBy: node.createdBy,
    updatedBy: node.updatedBy,
    createdAt: node.createdAt.toISOString(),
    updatedAt: node.updatedAt.toISOString(),
    access: shownAccess(access),
  };
}

/** The root folder, which always exists and has no row of its own. */
export function rootMetadata(access: Access): FileMetadata {
  return {
    path: '/',
    name: '',
    type: 'folder',
    size: 0,
    contentType: null,
    etag: null,
    version: null,
    createdBy: null,
    updatedBy: null,
    createdAt: null,
    updatedAt: null,
    access: shownAccess(access),
  };
}

export function presentVersion(v: VersionRecord) {
  return {
    version: v.version,
    size: v.size,
    contentType: v.contentType,
    etag: v.etag,
    writtenBy: v.writtenBy,
    writtenAt: v.writtenAt.toISOString(),
  };
}
