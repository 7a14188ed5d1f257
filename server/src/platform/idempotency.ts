import { createHash } from 'node:crypto';
import { and, eq, lt } from 'drizzle-orm';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { sha256 } from './crypto.ts';
import { isUniqueViolation } from './db/errors.ts';
import type { Db } from './db/index.ts';
import { AppError } from './errors.ts';
import { addRouteHook, isMutatingRoute, MUTATING_METHODS } from './http.ts';
import { idempotencyKeys } from './tables.ts';

/*
 * `Idempotency-Key` for every mutation (API.md): the first request with a key runs; a repeat by the
 * same caller with the same key and the same request gets the first answer again (status and body,
 * with `idempotent-replayed: true`) without running twice. Keys are kept for 24 hours.
 */

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * `route`: the route keeps its own idempotency (runs and chat turns, which a repeat re-attaches to);
     * `none`: the route does not take keys (the OpenAI surface: OpenAI clients send one on every call).
     */
    idempotency?: 'route' | 'none';
  }
  interface FastifyRequest {
    idempotency: { orgId: string; principalId: string; key: string } | null;
  }
}

const KEY = /^[\x21-\x7e]{1,200}$/;
/** A first request still running after this long is taken to have died with its process. */
const ABANDONED_MS = 5 * 60_000;
const KEEP_MS = 24 * 60 * 60_000;
/** Larger answers are not kept; a repeat of such a request is refused rather than run again. */
const MAX_BODY = 1024 * 1024;

const inProgress = () =>
  new AppError(
    409,
    'idempotency_in_progress',
    'a request with this Idempotency-Key is still running; try again shortly',
    undefined,
    { 'retry-after': '1' },
  );

function requestHash(request: FastifyRequest): string {
  // Raw bodies (file content) are hashed as they are: as JSON a Buffer is several times its size.
  const body = Buffer.isBuffer(request.body)
    ? createHash('sha256').update(request.body).digest('hex')
    : JSON.stringify(request.body ?? null);
  return sha256(`${request.method} ${request.url}\n${body}`);
}

export function installIdempotency(app: FastifyInstance, db: Db, log: FastifyBaseLogger): () => void {
  app.decorateRequest('idempotency', null);

  // Only mutating routes that do not handle keys themselves (or refuse them) take part.
  const takesKeys = (route: RouteOptions) => isMutatingRoute(route) && !route.config?.idempotency;

  // After the guard and validation: only a caller allowed to make the request reserves its key.
  addRouteHook(app, 'preHandler', takesKeys, async (request, reply) => {
    const header = request.headers['idempotency-key'];
    const principal = request.principal;
    if (header === undefined || !principal || !MUTATING_METHODS.has(request.method)) return;
    if (typeof header !== 'string' || !KEY.test(header)) {
      throw new AppError(
        400,
        'invalid_idempotency_key',
        'Idempotency-Key must be 1-200 printable ASCII characters',
      );
    }
    const id = { orgId: principal.orgId, principalId: principal.id, key: header };
    const hash = requestHash(request);
    const where = and(
      eq(idempotencyKeys.orgId, id.orgId),
      eq(idempotencyKeys.principalId, id.principalId),
      eq(idempotencyKeys.key, id.key),
    );
    try {
      await db.insert(idempotencyKeys).values({ ...id, requestHash: hash });
      request.idempotency = id;
      return;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
    const [first] = await db.select().from(idempotencyKeys).where(where);
    if (!first) throw inProgress();
    if (first.requestHash !== hash) {
      throw new AppError(
        422,
        'idempotency_key_reused',
        'this Idempotency-Key was used for a different request; use a new key for a new request',
      );
    }
    if (first.status === null) {
      if (Date.now() - first.createdAt.getTime() < ABANDONED_MS) {
        throw inProgress();
      }
      // Its process died before answering: this request takes the key over and runs.
      await db.update(idempotencyKeys).set({ createdAt: new Date() }).where(where);
      request.idempotency = id;
      return;
    }
    reply.header('idempotent-replayed', 'true');
    if (first.contentType) reply.type(first.contentType);
    return reply.status(first.status).send(first.body ?? undefined);
  });

  // Keeps the answer for repeats; a server error frees the key so the request can be tried again.
  addRouteHook(app, 'onSend', takesKeys, async (request, reply, payload) => {
    const id = request.idempotency;
    if (!id) return payload;
    request.idempotency = null;
    const where = and(
      eq(idempotencyKeys.orgId, id.orgId),
      eq(idempotencyKeys.principalId, id.principalId),
      eq(idempotencyKeys.key, id.key),
    );
    const body = typeof payload === 'string' ? payload : payload == null ? '' : undefined;
    try {
      if (reply.statusCode >= 500 || body === undefined || body.length > MAX_BODY) {
        await db.delete(idempotencyKeys).where(where);
      } else {
        const contentType = reply.getHeader('content-type');
        await db
          .update(idempotencyKeys)
          .set({
            status: reply.statusCode,
            contentType: typeof contentType === 'string' ? contentType : null,
            body,
            completedAt: new Date(),
          })
          .where(where);
      }
    } catch (err) {
      log.error({ err }, 'idempotency: could not keep the answer');
    }
    return payload;
  });

  const sweep = setInterval(() => {
    db.delete(idempotencyKeys)
      .where(lt(idempotencyKeys.createdAt, new Date(Date.now() - KEEP_MS)))
      .catch((err: unknown) => log.warn({ err }, 'idempotency: sweeping old keys failed'));
  }, 60 * 60_000);
  sweep.unref();
  return () => clearInterval(sweep);
}
