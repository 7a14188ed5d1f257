import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../platform/auth.ts';
import { errorEnvelopeSchema, errorHandler } from '../platform/errors.ts';
import { errorResponses, requestMeta } from '../platform/http.ts';
import { notModified } from './content.ts';
import { FileErrors } from './errors.ts';
import {
  bytesSchema,
  conditionalHeaders,
  deleteQuery,
  metadataSchema,
  pathQuery,
  versionContentQuery,
} from './schema.ts';
import type { FilesService } from './service.ts';

/** The failures of routes that take If-Match or a body of bytes. */
export const fileErrorResponses = { ...errorResponses, 412: errorEnvelopeSchema, 413: errorEnvelopeSchema };

const bytesResponse = (description: string) => ({
  description,
  content: { '*/*': { schema: bytesSchema } },
});

/**
 * Served bytes are whatever someone uploaded (HTML, SVG with script): they may never run as this
 * origin's page, so the answer is sandboxed, and never sniffed into another type.
 */
function sendBytes(
  reply: FastifyReply,
  file: { name: string; bytes: Buffer; contentType: string; etag: string },
): FastifyReply {
  return reply
    .type(file.contentType)
    .header('etag', file.etag)
    .header('cache-control', 'private, no-cache')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox")
    .header('content-disposition', `inline; filename*=UTF-8''${encodeURIComponent(file.name)}`)
    .send(file.bytes);
}

/**
 * The content routes, in a scope of their own: here a body is the file's bytes whatever its content
 * type (JSON included, kept as sent), read into one Buffer up to FILES_MAX_BYTES. Fastify's buffer
 * parser does the reading and refuses a larger body from its Content-Length before reading it, so
 * an oversized upload costs nothing; the refusal is answered as 413 file_too_large.
 */
export function contentRoutes(files: FilesService) {
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    const tags = ['files'];
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    app.setErrorHandler((err: FastifyError, request, reply) =>
      errorHandler(
        err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? FileErrors.tooLarge(files.maxBytes) : err,
        request,
        reply,
      ),
    );

    app.get(
      '/files/content',
      {
        config: { auth: { permission: 'files:read' } },
        schema: {
          operationId: 'getFileContent',
          tags,
          summary: "A file's bytes, with its content type and ETag; 304 when If-None-Match names that ETag",
          querystring: pathQuery,
          headers: z.object({ 'if-none-match': conditionalHeaders.shape['if-none-match'] }),
          response: {
            200: bytesResponse('The bytes, with `Content-Type` and `ETag`'),
            304: z.null().meta({ description: 'Not modified: your copy is current' }),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const file = await files.content(principalOf(request), request.query.path);
        if (notModified(request.headers['if-none-match'], file.etag))
          return (reply as FastifyReply).status(304).header('etag', file.etag).send();
        return sendBytes(reply as FastifyReply, file);
      },
    );

    app.put(
      '/files/content',
      {
        config: { auth: { permission: 'files:write' } },
        bodyLimit: files.maxBytes,
        schema: {
          operationId: 'putFileContent',
          tags,
          summary: 'Create (201) or replace (200) a file with the raw body, making its folders',
          description:
            'Any content type; the body is kept byte for byte with the `Content-Type` sent (or, without ' +
            'one, the type its name suggests). `If-Match` refuses with 412 when the file changed since; ' +
            '`If-None-Match: *` creates only. Larger than FILES_MAX_BYTES: 413 file_too_large.',
          querystring: pathQuery,
          headers: conditionalHeaders,
          consumes: ['*/*'],
          body: bytesSchema,
          response: { 200: metadataSchema, 201: metadataSchema, ...fileErrorResponses },
        },
      },
      async (request, reply) => {
        const { headers } = request;
        const body = {
          bytes: request.body ?? Buffer.alloc(0),
          contentType: headers['content-type'],
          ifMatch: headers['if-match'],
          ifNoneMatch: headers['if-none-match'],
        };
        const written = await files.write(
          principalOf(request),
          request.query.path,
          body,
          requestMeta(request),
        );
        return reply
          .status(written.created ? 201 : 200)
          .header('etag', written.metadata.etag)
          .send(written.metadata);
      },
    );

    app.delete(
      '/files/content',
      {
        config: { auth: { permission: 'files:write' } },
        schema: {
          operationId: 'deleteFile',
          tags,
          summary: 'Delete a file, or a folder (with ?recursive=true when it holds anything) and its rules',
          querystring: deleteQuery,
          headers: z.object({ 'if-match': conditionalHeaders.shape['if-match'] }),
          response: { 204: z.null(), ...fileErrorResponses },
        },
      },
      async (request, reply) => {
        const options = { recursive: request.query.recursive, ifMatch: request.headers['if-match'] };
        await files.remove(principalOf(request), request.query.path, options, requestMeta(request));
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/files/versions/content',
      {
        config: { auth: { permission: 'files:read' } },
        schema: {
          operationId: 'getFileVersionContent',
          tags,
          summary: 'The bytes of an earlier version of a file',
          querystring: versionContentQuery,
          response: { 200: bytesResponse('The bytes of that version'), ...errorResponses },
        },
      },
      async (request, reply) => {
        const { path, version } = request.query;
        return sendBytes(
          reply as FastifyReply,
          await files.versionContent(principalOf(request), path, version),
        );
      },
    );
  };
}
