import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import cors from '@fastify/cors';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { DestinationStream } from 'pino';
import { type Admin, createAdmin } from './admin/module.ts';
import { adminRoutes } from './admin/routes.ts';
import { mcpServersRoutes } from './agents/mcp/routes.ts';
import type { AgentsModule } from './agents/module.ts';
import { agentsRoutes } from './agents/routes.ts';
import { modelProvidersRoutes, toolsRoutes } from './agents/settings-routes.ts';
import { installAuditHook } from './audit/hook.ts';
import { type Audit, createAudit } from './audit/module.ts';
import { auditRoutes } from './audit/routes.ts';
import { createChat } from './chat/module.ts';
import { openaiRoutes } from './chat/openai-routes.ts';
import { chatRoutes } from './chat/routes.ts';
import { registerConversationChannel } from './conversations/realtime.ts';
import { conversationsRoutes } from './conversations/routes.ts';
import type { ConversationService } from './conversations/service.ts';
import { createExecutionDomains } from './domains.ts';
import { createIdentity, type Identity } from './identity/module.ts';
import { accessRoutes, authRoutes, jwksRoutes } from './identity/routes.ts';
import { operationsRoutes } from './operations/routes.ts';
import { installGuard } from './platform/auth.ts';
import type { AppContext } from './platform/context.ts';
import { errorHandler, notFoundHandler } from './platform/errors.ts';
import { enforceRouteDeclarations, type RouteRecord } from './platform/http.ts';
import { installIdempotency } from './platform/idempotency.ts';
import { randomToken } from './platform/ids.ts';
import { loggerOptions } from './platform/logger.ts';
import { instrument } from './platform/metrics.ts';
import { createRateLimiter } from './platform/rate-limit.ts';
import { securityHeaders } from './platform/security-headers.ts';
import { createRealtime, type Realtime } from './realtime/module.ts';
import { realtimeRoutes, registerWebsocket } from './realtime/routes.ts';
import { handleIntents } from './realtime/session.ts';
import { agentHealthTable, executionMetrics, unfinishedRunCount } from './runs/metrics.ts';
import type { RunsDomain } from './runs/module.ts';
import { registerRunChannel, registerRunStats } from './runs/realtime.ts';
import { runsRoutes } from './runs/routes.ts';
import type { UsageService } from './usage/service.ts';
import { inboxRoutes } from './workspace/inbox-routes.ts';
import { updatesRoutes } from './workspace/updates-routes.ts';
import { createUpdatesService } from './workspace/updates-service.ts';

export const WEB_DIST = fileURLToPath(new URL('../../web/dist', import.meta.url));
export const API_PREFIX = '/api/v1';

export interface BuildOptions {
  /** Where log lines go (tests capture them); stdout by default. */
  logStream?: DestinationStream;
  /** Extra routes registered before the app is sealed; tests use it to provoke failures. */
  testRoutes?: (app: FastifyInstance) => void | Promise<void>;
}

export type App = FastifyInstance & {
  routeTable: RouteRecord[];
  identity: Identity;
  realtime: Realtime;
  audit: Audit;
  admin: Admin;
  agents: AgentsModule;
  conversations: ConversationService;
  usage: UsageService;
  runs: RunsDomain;
};

/** A request id from the client is kept if it is short and plain; otherwise we make one. */
function requestIdFrom(header: unknown): string {
  if (typeof header === 'string' && /^[\w.:-]{1,128}$/.test(header)) return header;
  return `req_${randomToken(12)}`;
}

/** Builds the HTTP application: plugins, hooks, error handling and every domain's routes. Does not listen. */
export async function buildApp(ctx: AppContext, options: BuildOptions = {}): Promise<App> {
  const { config } = ctx;
  const app = Fastify({
    logger: loggerOptions(config, options.logStream),
    genReqId: (req) => requestIdFrom(req.headers['x-request-id']),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true },
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
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
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

  const identity = createIdentity(ctx.database.db, ctx.bus, config, app.log);
  await identity.start();
  const domains = createExecutionDomains(ctx, app.log);
  const { usage, agents, conversations, runs } = domains;
  const limiter = createRateLimiter({
    limits: config.rateLimits,
    redis: ctx.redis,
    prefix: config.redisPrefix,
    log: app.log,
  });
  app.addHook('onClose', async () => {
    identity.stop();
    limiter.stop();
  });
  installGuard(app, identity.authenticate, limiter);
  const audit = createAudit(ctx.database.db, { retentionDays: config.auditRetentionDays }, app.log);
  audit.start();
  installAuditHook(app, audit.recorder);
  const stopIdempotency = installIdempotency(app, ctx.database.db, app.log);
  app.addHook('onClose', async () => stopIdempotency());
  const realtime = createRealtime(ctx, identity.authenticate, app.log);
  await registerWebsocket(app, realtime, config.realtime);
  registerRunChannel(realtime.channels, ctx.database.db);
  registerConversationChannel(realtime.channels, ctx.database.db);
  registerRunStats(realtime.stats, ctx.database.db, runs.inbox);
  if (config.workersInProcess) await runs.startWorkers();
  app.addHook('onClose', () => domains.close());
  const chat = createChat({ ctx, agents, conversations, runs, log: app.log });
  handleIntents(realtime.channels, chat.intents);
  app.addHook('preClose', async () => chat.close());
  const admin = createAdmin(ctx, realtime, app.log, app);
  admin.service.figures.register('unfinishedRuns', () => unfinishedRunCount(ctx.database));
  app.addHook('onClose', async () => {
    admin.stop();
    await audit.stop();
  });

  await app.register(operationsRoutes(ctx));
  await app.register(jwksRoutes(identity.keyring));
  await app.register(
    async (api) => {
      await api.register(authRoutes(identity.auth));
      await api.register(accessRoutes(identity.access));
      await api.register(auditRoutes(audit.service));
      await api.register(
        adminRoutes(admin.service, admin.restart, {
          metrics: (window) => executionMetrics(ctx.database, ctx.queue, window),
          agentHealth: (window) => agentHealthTable(ctx.database, window),
        }),
      );
      await api.register(realtimeRoutes(realtime));
      await api.register(agentsRoutes(agents.agents));
      await api.register(toolsRoutes(agents.toolsService));
      await api.register(modelProvidersRoutes(agents.providers));
      await api.register(mcpServersRoutes(agents.mcpServers));
      await api.register(conversationsRoutes(conversations));
      await api.register(
        runsRoutes({
          runs: runs.runs,
          webhooks: runs.webhooks,
          db: ctx.database.db,
          bus: ctx.bus,
          wake: () => runs.worker.wake(),
        }),
      );
      await api.register(inboxRoutes(runs.inbox));
      await api.register(updatesRoutes(createUpdatesService({ db: ctx.database.db })));
      await api.register(chatRoutes(chat));
    },
    { prefix: API_PREFIX },
  );
  // OpenAI-compatible, at the root so OpenAI clients work with base URL <server>/v1.
  await app.register(openaiRoutes(chat), { prefix: '/v1' });
  if (options.testRoutes) await app.register(async (scope) => options.testRoutes?.(scope));

  const hasConsole = await registerConsole(app);
  app.setNotFoundHandler((request, reply) => {
    if (hasConsole && request.method === 'GET' && isConsoleRoute(request.url, request.headers.accept)) {
      return reply.type('text/html').sendFile('index.html');
    }
    return notFoundHandler(request, reply);
  });
  await app.ready();
  return Object.assign(app, {
    routeTable,
    identity,
    agents,
    conversations,
    usage,
    realtime,
    audit,
    admin,
    runs,
  }) as unknown as App;
}

/** Serves the built console at `/` when it has been built. */
async function registerConsole(app: FastifyInstance): Promise<boolean> {
  if (!existsSync(WEB_DIST)) return false;
  await app.register(fastifyStatic, { root: WEB_DIST, wildcard: true, index: 'index.html' });
  return true;
}

/** Client-side console routes (e.g. `/runs/run_1`) get index.html; API paths keep their JSON 404. */
function isConsoleRoute(url: string, accept: string | undefined): boolean {
  if (/^\/(api|v1|health|metrics|docs|openapi\.json|\.well-known|assets)(\/|$|\?)/.test(url)) return false;
  return !accept || accept.includes('text/html') || accept.includes('*/*');
}
