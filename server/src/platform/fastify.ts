import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { DestinationStream } from 'pino';
import type { AppContext } from './context.ts';
import { installCsrfGuard } from './csrf.ts';
import { errorHandler } from './errors.ts';
import { enforceRouteDeclarations, type RouteRecord } from './http.ts';
import { randomToken } from './ids.ts';
import { loggerOptions } from './logger.ts';
import { instrument } from './metrics.ts';
import { securityHeaders } from './security-headers.ts';

/** A request id from the client is kept if it is short and plain; otherwise we make one. */
function requestIdFrom(header: unknown): string {
  if (typeof header === 'string' && /^[\w.:-]{1,128}$/.test(header)) return header;
  return `req_${randomToken(12)}`;
}

/**
 * The HTTP server without any domain: Zod validation and serialisation, the error envelope, request
 * ids, security headers, CORS, cookies with their CSRF check, metrics, the OpenAPI document and its
 * viewer, and the check that every route declares its auth. Domains' routes and hooks are added on top (app.ts).
 */
export async function createFastify(
  ctx: AppContext,
  logStream?: DestinationStream,
): Promise<{ app: FastifyInstance; routeTable: RouteRecord[] }> {
  const { config } = ctx;
  const app = Fastify({
    logger: loggerOptions(config, logStream),
    genReqId: (req) => requestIdFrom(req.headers['x-request-id']),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true },
    // Errors the router raises before a route is found (a bad URL, a path segment over the length
    // limit) get the same envelope as every other error.
    frameworkErrors: (err, request, reply) => errorHandler(err as FastifyError, request, reply),
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  const routeTable = enforceRouteDeclarations(app);

  const security = securityHeaders({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'", 'ws:', 'wss:'],
      },
    },
  });
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(security);
    reply.header('x-request-id', request.id);
    done();
  });
  // During shutdown, answers tell keep-alive clients to hang up, so close() does not wait for them.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  instrument(app, ctx.metrics);

  await app.register(cors, {
    origin: config.corsOrigins.length ? config.corsOrigins : false,
    credentials: true,
    exposedHeaders: [
      'x-request-id',
      'ratelimit-limit',
      'ratelimit-remaining',
      'ratelimit-reset',
      'retry-after',
    ],
  });

  await app.register(cookie);
  installCsrfGuard(app, config.publicUrl);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Switchboard API',
        version: '1.0.0',
        description: 'Self-hosted, multi-tenant platform for teams of AI agents.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT or API key' } },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  // The viewer's bundle uses inline styles, which the CSP above already allows; its own stricter CSP
  // would block them.
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: false });
  return { app, routeTable };
}
