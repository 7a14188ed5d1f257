import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { sha256 } from './crypto.ts';
import { Errors } from './errors.ts';
import { addRouteHook } from './http.ts';
import type { RateLimiter } from './rate-limit.ts';

/** Who is calling: a signed-in user (access token) or a service account (API key). */
export interface Principal {
  kind: 'user' | 'api_key';
  /** The user id, or the API key id for service accounts. */
  id: string;
  userId: string | null;
  orgId: string;
  scopes: ReadonlySet<string>;
  /** Unix seconds when the credential stops being valid, if it does. */
  expiresAt: number | null;
}

/** Turns a bearer credential into a principal, or throws a 401 AppError. */
export type Authenticator = (credential: string) => Promise<Principal>;

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value] = header.split(' ');
  return scheme?.toLowerCase() === 'bearer' && value ? value : undefined;
}

/** The principal of a guarded route; the guard has already proven there is one. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw Errors.unauthorized();
  return request.principal;
}

/**
 * The one guard: authenticates the caller, pins the tenant to the credential, checks the permission the
 * route declares, and applies rate limits (per IP on public routes that ask for it, per user and per org
 * everywhere else).
 */
export function installGuard(app: FastifyInstance, authenticate: Authenticator, limiter: RateLimiter): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request, reply) => {
    const config = request.routeOptions.config;
    const auth = config?.auth;
    if (!auth) return; // unmatched routes: the not-found handler answers
    if (auth === 'public') {
      if (config.rateLimit === 'ip') await limiter.consume(reply, [['ip', request.ip]]);
      return;
    }
    const credential = bearerToken(request.headers.authorization);
    if (!credential) throw Errors.unauthorized('missing bearer token');
    const principal = await authenticate(credential);
    const tenant = request.headers['x-tenant-id'];
    if (tenant !== undefined && tenant !== principal.orgId) {
      throw Errors.tenantMismatch();
    }
    request.principal = principal;
    await limiter.consume(reply, [
      ['user', principal.id],
      ['org', principal.orgId],
    ]);
    if (typeof auth === 'object' && !principal.scopes.has(auth.permission)) {
      throw Errors.forbidden(`this needs the ${auth.permission} permission`);
    }
  });
  // The body is parsed and validated only after onRequest, so the per-address limit runs here.
  const mails = (route: RouteOptions) => !!route.config?.mailRecipient;
  addRouteHook(app, 'preHandler', mails, async (request, reply) => {
    const recipient = request.routeOptions.config?.mailRecipient?.(request);
    // Hashed: the counters (in Redis too) hold no addresses.
    if (recipient) await limiter.consume(reply, [['mail', sha256(recipient.trim().toLowerCase())]]);
  });
}
