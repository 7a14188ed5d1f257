import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import { closeSweepingIdle } from './admin/restart.ts';
import { installAuditHook } from './audit/hook.ts';
import { createDomains, type Domains } from './domains.ts';
import { installGuard } from './platform/auth.ts';
import type { AppContext } from './platform/context.ts';
import { isServerFault, notFoundHandler } from './platform/errors.ts';
import { createFastify } from './platform/fastify.ts';
import type { RouteRecord } from './platform/http.ts';
import { installIdempotency } from './platform/idempotency.ts';
import { createRateLimiter } from './platform/rate-limit.ts';
import { registerWebsocket } from './realtime/routes.ts';
import { routeTable } from './routes.ts';
import { WEB_DIST } from './web-dist.ts';

export { API_PREFIX } from './routes.ts';

export interface BuildOptions {
  /** Where log lines go (tests capture them); stdout by default. */
  logStream?: DestinationStream;
  /** Extra routes registered before the app is sealed; tests use it to provoke failures. */
  testRoutes?: (app: FastifyInstance) => void | Promise<void>;
  /** The clock budgets and usage periods follow (tests move it across period boundaries). */
  clock?: () => Date;
}

/** The HTTP server, every domain behind it, and every route it registered with its declared auth. */
export interface BuiltApp {
  app: FastifyInstance;
  domains: Domains;
  routes: RouteRecord[];
}

/** Builds the HTTP application: plugins, every domain, their hooks and routes. Does not listen. */
export async function buildApp(ctx: AppContext, options: BuildOptions = {}): Promise<BuiltApp> {
  const { config } = ctx;
  const { app, routeTable: routes } = await createFastify(ctx, options.logStream);
  const domains = createDomains(ctx, app.log, { clock: options.clock });
  await domains.start();
  app.addHook('onClose', () => domains.close());
  domains.admin.restart.configure({ drain: () => closeSweepingIdle(app.server, () => app.close()) });

  const limiter = createRateLimiter({
    limits: config.rateLimits,
    redis: ctx.redis,
    prefix: config.redisPrefix,
    log: app.log,
  });
  app.addHook('onClose', async () => limiter.stop());
  installGuard(app, domains.identity.authenticate, limiter);
  installAuditHook(app, domains.audit.recorder);
  // The server's own unexpected failures go to the operator's built-in error project (never failing
  // or slowing the request: the report is made in the background).
  app.addHook('onError', async (request, _reply, err) => {
    if (!isServerFault(err)) return;
    domains.errors.selfReport.report(err, {
      method: request.method,
      route: request.routeOptions.url ?? request.url.split('?')[0] ?? '',
      requestId: request.id,
      orgId: request.principal?.orgId ?? null,
    });
  });
  const stopIdempotency = installIdempotency(app, ctx.database.db, app.log);
  app.addHook('onClose', async () => stopIdempotency());
  await registerWebsocket(app, domains.realtime, config.realtime);
  app.addHook('preClose', async () => domains.chat.close());

  for (const { prefix, routes: plugins } of routeTable(ctx, domains)) {
    await app.register(
      async (scope) => {
        for (const plugin of plugins) await scope.register(plugin);
      },
      { prefix },
    );
  }
  if (options.testRoutes) await app.register(async (scope) => options.testRoutes?.(scope));

  const hasConsole = await registerConsole(app);
  app.setNotFoundHandler((request, reply) => {
    if (hasConsole && request.method === 'GET' && isConsoleRoute(request.url, request.headers.accept)) {
      return reply.type('text/html').sendFile('index.html');
    }
    return notFoundHandler(request, reply);
  });
  await app.ready();
  return { app, domains, routes };
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
