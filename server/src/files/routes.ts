import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../platform/auth.ts';
import { errorResponses, requestMeta } from '../platform/http.ts';
import { pageOf } from '../platform/pagination.ts';
import { contentRoutes, fileErrorResponses } from './content-routes.ts';
import {
  fileVersionSchema,
  folderBody,
  metadataSchema,
  moveBody,
  pathQuery,
  permissionsSchema,
  putPermissionsBody,
  restoreBody,
  searchHitSchema,
  searchQuery,
  treeQuery,
  treeSchema,
  versionsQuery,
} from './schema.ts';
import type { FilesService } from './service.ts';

/** The org's file tree: listing, search, metadata, versions, folders, moves and per-path permissions. */
export function filesRoutes(files: FilesService) {
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    const tags = ['files'];
    const read = { auth: { permission: 'files:read' } };
    const write = { auth: { permission: 'files:write' } };

    await app.register(contentRoutes(files));

    app.get(
      '/files/tree',
      {
        config: read,
        schema: {
          operationId: 'getFileTree',
          tags,
          summary: 'A folder and what is in it, as deep as asked, holding only what you may read',
          querystring: treeQuery,
          response: { 200: treeSchema, ...errorResponses },
        },
      },
      async (request) => files.tree(principalOf(request), request.query),
    );

    app.get(
      '/files/metadata',
      {
        config: read,
        schema: {
          operationId: 'getFileMetadata',
          tags,
          summary: 'What a file or folder is, who made and changed it, and what you may do with it',
          querystring: pathQuery,
          response: { 200: metadataSchema, ...errorResponses },
        },
      },
      async (request) => files.metadata(principalOf(request), request.query.path),
    );

    app.get(
      '/files/search',
      {
        config: read,
        schema: {
          operationId: 'searchFiles',
          tags,
          summary: 'Files and folders whose name holds q, by path, among those you may read',
          description: 'A page may hold fewer items than `limit` (even none) and still have a next cursor.',
          querystring: searchQuery,
          response: { 200: pageOf(searchHitSchema), ...errorResponses },
        },
      },
      async (request) => files.search(principalOf(request), request.query),
    );

    app.get(
      '/files/versions',
      {
        config: read,
        schema: {
          operationId: 'listFileVersions',
          tags,
          summary: 'Earlier versions of a file, newest first (the latest 50 are kept)',
          querystring: versionsQuery,
          response: { 200: pageOf(fileVersionSchema), ...errorResponses },
        },
      },
      async (request) => files.versions(principalOf(request), request.query),
    );

    app.post(
      '/files/versions/restore',
      {
        config: write,
        schema: {
          operationId: 'restoreFileVersion',
          tags,
          summary: 'Make an earlier version current again, as a new version; the current one is kept',
          headers: z.object({ 'if-match': z.string().max(200).optional() }),
          body: restoreBody,
          response: { 200: metadataSchema, ...fileErrorResponses },
        },
      },
      async (request) => {
        const p = principalOf(request);
        const ifMatch = request.headers['if-match'];
        return (await files.restore(p, request.body, ifMatch, requestMeta(request))).metadata;
      },
    );

    app.post(
      '/files/move',
      {
        config: write,
        schema: {
          operationId: 'moveFile',
          tags,
          summary: 'Move or rename a file, or a folder with everything in it and its rules',
          body: moveBody,
          response: { 200: metadataSchema, ...errorResponses },
        },
      },
      async (request) => files.move(principalOf(request), request.body, requestMeta(request)),
    );

    app.post(
      '/files/folders',
      {
        config: write,
        schema: {
          operationId: 'createFolder',
          tags,
          summary: 'Make a folder and any missing above it: 201, or 200 when it was there already',
          body: folderBody,
          response: { 200: metadataSchema, 201: metadataSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const made = await files.makeFolder(principalOf(request), request.body.path, requestMeta(request));
        return reply.status(made.created ? 201 : 200).send(made.metadata);
      },
    );

    app.get(
      '/files/permissions',
      {
        config: read,
        schema: {
          operationId: 'getFilePermissions',
          tags,
          summary: 'The rules set at a path and those it inherits from the folders above',
          querystring: pathQuery,
          response: { 200: permissionsSchema, ...errorResponses },
        },
      },
      async (request) => files.permissions(principalOf(request), request.query.path),
    );

    app.put(
      '/files/permissions',
      {
        config: write,
        schema: {
          operationId: 'putFilePermissions',
          tags,
          summary: 'Replace the rules set at a path (you need write there)',
          description:
            'A rule gives a role, a member or an agent `none`, `read` or `write` at the path and under it, ' +
            'until a deeper rule says otherwise. Owners and admins always write; an agent has only what ' +
            'rules naming it give; a rule cannot lift anyone past the scopes of their role.',
          querystring: pathQuery,
          body: putPermissionsBody,
          response: { 200: permissionsSchema, ...errorResponses },
        },
      },
      async (request) =>
        files.setPermissions(principalOf(request), request.query.path, request.body, requestMeta(request)),
    );
  };
}
