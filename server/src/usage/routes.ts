import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../platform/auth.ts';
import { errorResponses, idParams } from '../platform/http.ts';
import { agentHealthSchema, healthQuerySchema } from './schema.ts';
import { MAX_HEALTH_BATCH, type UsageService } from './service.ts';

/** Usage reads: agents' health from their model calls. */
export function usageRoutes(usage: UsageService) {
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<ZodTypeProvider>();

    app.get(
      '/agents/health',
      {
        config: { auth: { permission: 'agents:read' } },
        schema: {
          operationId: 'listAgentHealth',
          tags: ['agents'],
          summary: `The health of many agents at once (the ids given, or the org's first ${MAX_HEALTH_BATCH})`,
          description:
            'Each item is what GET /agents/{id}/health answers; ids that are not agents of your org are left out.',
          querystring: healthQuerySchema.extend({
            ids: z
              .string()
              .max(MAX_HEALTH_BATCH * 101)
              .optional()
              .transform((v) =>
                v
                  ? [
                      ...new Set(
                        v
                          .split(',')
                          .map((s) => s.trim())
                          .filter(Boolean),
                      ),
                    ]
                  : undefined,
              )
              .refine((v) => !v || v.length <= MAX_HEALTH_BATCH, `at most ${MAX_HEALTH_BATCH} ids`)
              .meta({ description: 'Comma-separated agent ids' }),
          }),
          response: { 200: z.object({ items: z.array(agentHealthSchema) }), ...errorResponses },
        },
      },
      async (request) => ({
        items: await usage.healthOf(principalOf(request), request.query.window, request.query.ids),
      }),
    );

    app.get(
      '/agents/:id/health',
      {
        config: { auth: { permission: 'agents:read' } },
        schema: {
          operationId: 'getAgentHealth',
          tags: ['agents'],
          summary:
            'Success rate, errors, latency p50/p95, tokens and last activity of the agent over a recent window',
          description:
            "Computed from the usage records of the agent's model calls (chat and runs alike). Each call made after a hand-off counts for the agent that made it.",
          params: idParams,
          querystring: healthQuerySchema,
          response: { 200: agentHealthSchema, ...errorResponses },
        },
      },
      async (request) => usage.health(principalOf(request), request.params.id, request.query.window),
    );
  };
}
