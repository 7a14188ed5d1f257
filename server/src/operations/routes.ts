import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../platform/context.ts';
import { envelope, errorEnvelopeSchema } from '../platform/errors.ts';
import { sortKeys } from '../platform/openapi.ts';

const PROBE_TIMEOUT_MS = 2_000;

const readySchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.record(z.string(), z.object({ ok: z.boolean(), error: z.string().optional() })),
});

async function probe(check: () => Promise<void>): Promise<{ ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return { ok: true };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** Liveness, readiness, Prometheus metrics and the OpenAPI document. */
export function operationsRoutes(ctx: AppContext) {
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    const tags = ['operations'];

    app.get(
      '/health',
      {
        config: { auth: 'public' },
        schema: {
          operationId: 'getHealth',
          tags,
          summary: 'Liveness: the process is up',
          response: { 200: z.object({ status: z.literal('ok') }) },
        },
      },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/health/ready',
      {
        config: { auth: 'public' },
        schema: {
          operationId: 'getReadiness',
          tags,
          summary: 'Readiness: every dependency answers (503 names the ones that do not)',
          response: { 200: readySchema, 503: errorEnvelopeSchema },
        },
      },
      async (request, reply) => {
        const names = [...ctx.readiness.keys()];
        const results = await Promise.all([...ctx.readiness.values()].map(probe));
        const checks = Object.fromEntries(names.map((name, i) => [name, results[i]!]));
        const failed = names.filter((_, i) => !results[i]!.ok);
        if (failed.length === 0) return { status: 'ready' as const, checks };
        // 503 uses the error envelope like every other failure, naming what failed.
        return reply
          .status(503)
          .send(envelope(request.id, 'not_ready', `not ready: ${failed.join(', ')} failed`, { checks }));
      },
    );

    app.get(
      '/metrics',
      {
        config: { auth: 'public' },
        schema: { operationId: 'getMetrics', tags, summary: 'Prometheus metrics' },
      },
      async (_request, reply) => {
        reply.type(ctx.metrics.registry.contentType);
        return ctx.metrics.registry.metrics();
      },
    );

    app.get(
      '/openapi.json',
      {
        config: { auth: 'public' },
        schema: { operationId: 'getOpenApi', tags, summary: 'This OpenAPI 3.1 document' },
      },
      async () => sortKeys(root.swagger()),
    );
  };
}
