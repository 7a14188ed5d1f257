import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { addRouteHook, isMutatingRoute, MUTATING_METHODS, requestMeta } from '../platform/http.ts';
import type { AuditRecorder } from './recorder.ts';

/** `api-keys` -> `api_key`, `fixes` -> `fix`, `inbox` -> `inbox`. */
export function singular(segment: string): string {
  const s = segment.replaceAll('-', '_');
  if (/(x|ch|sh|ss)es$/.test(s)) return s.slice(0, -2);
  if (s.endsWith('ies')) return `${s.slice(0, -3)}y`;
  if (s.endsWith('s') && !s.endsWith('ss')) return s.slice(0, -1);
  return s;
}

/**
 * The resource a request names, from the route pattern and its params: the last `:param` and the path
 * segment before it (`/api/v1/roles/:id` -> role). Routes without params name none.
 */
export function resourceOf(request: FastifyRequest): { type: string; id: string } | undefined {
  const pattern = request.routeOptions.url;
  const params = request.params as Record<string, unknown> | undefined;
  if (!pattern || !params) return undefined;
  const segments = pattern.split('/');
  for (let i = segments.length - 1; i > 0; i--) {
    const segment = segments[i]!;
    if (!segment.startsWith(':')) continue;
    const value = params[segment.slice(1)];
    const before = segments.slice(0, i).findLast((s) => s && !s.startsWith(':'));
    if (typeof value !== 'string' || !before) return undefined;
    return { type: singular(before), id: value.slice(0, 200) };
  }
  return undefined;
}

function operationIdOf(request: FastifyRequest): string {
  const schema = request.routeOptions.schema as { operationId?: unknown } | undefined;
  return typeof schema?.operationId === 'string'
    ? schema.operationId
    : `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`;
}

/**
 * Records every mutating request made with a verified credential, whatever its outcome (403s and
 * validation failures included), once the response has gone out. Public routes (sign-in, register,
 * refresh) write their own security events, and a request without a verified credential has no actor
 * or org to file it under, so neither is recorded here.
 */
export function installAuditHook(app: FastifyInstance, recorder: AuditRecorder): void {
  const audited = (route: RouteOptions) => isMutatingRoute(route) && route.config?.audit !== false;
  addRouteHook(app, 'onResponse', audited, (request, reply, done) => {
    const principal = request.principal;
    if (!MUTATING_METHODS.has(request.method) || !principal) return done();
    recorder.record(
      {
        action: request.routeOptions.config?.auditAction ?? operationIdOf(request),
        orgId: principal.orgId,
        actor: { kind: principal.kind, id: principal.id },
        resource: resourceOf(request),
        outcome: reply.statusCode < 400 ? 'success' : 'failure',
        status: reply.statusCode,
        meta: requestMeta(request),
      },
      new Date(Date.now() - reply.elapsedTime),
    );
    done();
  });
}
