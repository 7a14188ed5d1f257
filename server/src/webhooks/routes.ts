import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../platform/auth.ts';
import { errorResponses } from '../platform/http.ts';
import { putWebhookBody, webhookSchema } from './schema.ts';
import type { Webhooks } from './service.ts';

/** The org's outbound webhook: read, set (a new signing secret each time) and remove. */
export function webhooksRoutes(webhooks: Webhooks) {
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/webhooks',
      {
        config: { auth: { permission: 'runs:read' } },
        schema: {
          operationId: 'getWebhook',
          tags: ['webhooks'],
          summary: "The org's run-completion webhook",
          response: { 200: webhookSchema, ...errorResponses },
        },
      },
      async (request) => webhooks.get(principalOf(request)),
    );
    app.put(
      '/webhooks',
      {
        config: { auth: { permission: 'runs:write' } },
        schema: {
          operationId: 'putWebhook',
          tags: ['webhooks'],
          summary: 'Set the webhook URL; answers with a new signing secret, shown once',
          body: putWebhookBody,
          response: { 200: webhookSchema.extend({ secret: z.string() }), ...errorResponses },
        },
      },
      async (request) => webhooks.put(principalOf(request), request.body.url),
    );
    app.delete(
      '/webhooks',
      {
        config: { auth: { permission: 'runs:write' } },
        schema: {
          operationId: 'deleteWebhook',
          tags: ['webhooks'],
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await webhooks.remove(principalOf(request));
        return reply.status(204).send(null);
      },
    );
  };
}
