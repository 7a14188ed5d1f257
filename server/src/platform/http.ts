import type {
  FastifyInstance,
  FastifyRequest,
  onResponseHookHandler,
  onSendHookHandler,
  preHandlerHookHandler,
  RouteOptions,
} from 'fastify';
import { z } from 'zod';
import { errorEnvelopeSchema } from './errors.ts';

/**
 * What a route requires of its caller. Every route declares one (a startup check enforces it), so
 * "forgot the guard" cannot happen silently.
 * - `public`: anyone, no credential (health, login, register, JWKS).
 * - `authenticated`: any valid credential of the org, no particular permission (me, logout).
 * - a permission: the credential must carry that scope.
 */
export type RouteAuth = 'public' | 'authenticated' | { permission: string };

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
    /** Audit action name; defaults to the operationId. */
    auditAction?: string;
    /**
     * `false`: requests are not audited because the route keeps its own record of each (the OpenAI
     * surface's completions are runs, with who made them, and usage).
     */
    audit?: false;
    /** `ip`: a public route limited per client IP (sign-in, register, refresh). */
    rateLimit?: 'ip';
    /**
     * A route that mails someone: the address (or account) it mails, read after validation; requests for
     * one address are limited per hour (`RATE_LIMIT_MAIL_PER_HOUR`) besides any other limit.
     */
    mailRecipient?: (request: FastifyRequest) => string | undefined;
  }
}

/** Routes the framework or plugins add themselves (docs assets, HEAD twins, static files). */
function isInfrastructureRoute(route: RouteOptions): boolean {
  const url = route.url;
  return url.startsWith('/docs') || url === '/*' || url === '*' || url === '/' || route.method === 'HEAD';
}

export interface RouteRecord {
  method: string;
  url: string;
  auth: RouteAuth;
  operationId: string | undefined;
  /** False for routes that keep their own record of each request instead of the audit log. */
  audited: boolean;
}

/**
 * Collects every route with its declared auth and refuses to register one without it.
 * Tests walk the returned list to prove guards, audit and tenant isolation route by route.
 */
export function enforceRouteDeclarations(app: FastifyInstance): RouteRecord[] {
  const routes: RouteRecord[] = [];
  app.addHook('onRoute', (route) => {
    if (isInfrastructureRoute(route)) return;
    const auth = route.config?.auth;
    if (!auth) throw new Error(`route ${String(route.method)} ${route.url} declares no auth (config.auth)`);
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      routes.push({
        method,
        url: route.url,
        auth,
        operationId: (route.schema as { operationId?: string } | undefined)?.operationId,
        audited: route.config?.audit !== false,
      });
    }
  });
  return routes;
}

/** Who made a request and from where, for the audit log. */
export interface RequestMeta {
  ip: string;
  userAgent: string | null;
  requestId: string;
}

/** The methods that change something: what idempotency keys and the audit log are about. */
export const MUTATING_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Whether a route answers a mutating method (one of its methods, for a route that takes several). */
export function isMutatingRoute(route: RouteOptions): boolean {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  return methods.some((m) => MUTATING_METHODS.has(m));
}

interface RouteHooks {
  preHandler: preHandlerHookHandler;
  onSend: onSendHookHandler;
  onResponse: onResponseHookHandler;
}

/**
 * Adds `hook` to the routes `applies` picks, as a route-level hook: a global hook is called on every
 * request, and one that only returns on most routes (idempotency keys, the audit log) still costs a
 * promise per request on the hottest ones. Applies to routes registered after this call (every
 * domain's: buildApp installs hooks first).
 */
export function addRouteHook<K extends keyof RouteHooks>(
  app: FastifyInstance,
  name: K,
  applies: (route: RouteOptions) => boolean,
  hook: RouteHooks[K],
): void {
  app.addHook('onRoute', (route) => {
    if (!applies(route)) return;
    const existing = route[name] as RouteHooks[K] | RouteHooks[K][] | undefined;
    const list = existing === undefined ? [] : Array.isArray(existing) ? existing : [existing];
    (route as unknown as Record<K, RouteHooks[K][]>)[name] = [...list, hook];
  });
}

/** `/{id}` path parameters of a resource route. */
export const idParams = z.object({ id: z.string().min(1).max(100) });

/** A query parameter holding up to `max` comma-separated ids (blanks and repeats dropped). */
export const idListQuery = (max: number, what: string) =>
  z
    .string()
    .max(max * 101)
    .transform((v) => [
      ...new Set(
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
    ])
    .refine((v) => v.length <= max, `at most ${max} ids`)
    .meta({ description: `Comma-separated ${what} ids` });

/** The `Idempotency-Key` header of routes that keep their own idempotency (runs, chat turns). */
export const idempotencyHeaders = z.object({
  'idempotency-key': z.string().min(1).max(200).optional().meta({
    description: 'A repeat with the same key answers with the run the first request started',
  }),
});

/** The failure responses every guarded route can give, for the OpenAPI document. */
export const errorResponses = {
  400: errorEnvelopeSchema,
  401: errorEnvelopeSchema,
  403: errorEnvelopeSchema,
  404: errorEnvelopeSchema,
  409: errorEnvelopeSchema,
  429: errorEnvelopeSchema,
};

export function requestMeta(request: FastifyRequest): RequestMeta {
  const ua = request.headers['user-agent'];
  return {
    ip: request.ip,
    userAgent: typeof ua === 'string' ? ua.slice(0, 300) : null,
    requestId: request.id,
  };
}
