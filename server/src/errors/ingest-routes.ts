import type { FastifyError, FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorEnvelopeSchema, errorHandler } from '../platform/errors.ts';
import { ErrorTrackerErrors } from './errors.ts';
import type { Ingest } from './ingest.ts';
import { ingestParams, ingestQuery, ingestResponse } from './schema.ts';

/** Browser SDKs post from any page: every origin may send events (the key is what authenticates). */
const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST, OPTIONS',
  'access-control-allow-headers':
    'content-type, content-encoding, x-sentry-auth, authorization, sentry-trace, baggage',
  'access-control-expose-headers': 'x-sentry-error, x-sentry-rate-limits, retry-after',
  'access-control-max-age': '86400',
};

/** What a too-large compressed body is allowed before it is refused unread. */
const COMPRESSED_SLACK = 64 * 1024;

/**
 * Sentry-compatible ingest at the root (`/api/<ingestId>/envelope/` and `/store/`), in a scope of its
 * own: any content type is read as bytes (SDKs send `application/x-sentry-envelope`, browsers
 * `text/plain`, some `application/json`), CORS allows every origin, and errors keep the API's envelope.
 * Auth is the DSN key, checked by the ingest service, so the routes are public to the guard.
 */
export function ingestRoutes(ingest: Ingest, maxBytes: number) {
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    app.setErrorHandler((err: FastifyError, request, reply) =>
      errorHandler(
        err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? ErrorTrackerErrors.tooLarge(maxBytes) : err,
        request,
        reply,
      ),
    );
    app.addHook('onSend', async (_request, reply) => {
      reply.headers(CORS_HEADERS);
      reply.removeHeader('access-control-allow-credentials');
    });
    const tags = ['ingest'];
    const config = { auth: 'public' as const, cors: false };
    const responses = {
      200: ingestResponse,
      400: errorEnvelopeSchema,
      401: errorEnvelopeSchema,
      413: errorEnvelopeSchema,
      415: errorEnvelopeSchema,
      429: errorEnvelopeSchema,
    };
    const bodyLimit = maxBytes + COMPRESSED_SLACK;

    for (const kind of ['envelope', 'store'] as const) {
      app.post(
        `/api/:projectId/${kind}/`,
        {
          config,
          bodyLimit,
          schema: {
            operationId: kind === 'envelope' ? 'ingestEnvelope' : 'ingestStore',
            tags,
            summary:
              kind === 'envelope'
                ? 'Sentry envelope ingest: what Sentry SDKs send to a DSN'
                : 'Sentry store ingest (one event as JSON), for older SDKs',
            description:
              'The key comes from `X-Sentry-Auth: Sentry sentry_key=…`, `?sentry_key=`, or the `dsn` of the ' +
              'envelope header. Bodies may be gzip or deflate (`Content-Encoding`), up to ERRORS_MAX_EVENT_BYTES ' +
              'once decompressed. `event` and `error` items are kept; sessions, transactions, client reports, ' +
              'attachments and other known item types are accepted and dropped; an unknown type, a truncated ' +
              'item or invalid JSON is a 400. Over the project rate: 429 with `Retry-After` and ' +
              '`X-Sentry-Rate-Limits`.',
            params: ingestParams,
            querystring: ingestQuery,
            response: responses,
          },
        },
        async (request) => {
          const auth = request.headers['x-sentry-auth'] ?? request.headers.authorization;
          const encoding = request.headers['content-encoding'];
          return ingest.receive({
            kind,
            projectId: request.params.projectId,
            body: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
            contentEncoding: typeof encoding === 'string' ? encoding : undefined,
            authHeader: typeof auth === 'string' ? auth : undefined,
            queryKey: request.query.sentry_key,
          });
        },
      );
      app.options(
        `/api/:projectId/${kind}/`,
        {
          config,
          schema: {
            operationId: kind === 'envelope' ? 'preflightEnvelope' : 'preflightStore',
            tags,
            summary: 'CORS preflight for browser SDKs: any origin may post events',
            params: ingestParams,
            response: { 204: z.null() },
          },
        },
        async (_request, reply) => reply.status(204).send(null),
      );
    }
  };
}
