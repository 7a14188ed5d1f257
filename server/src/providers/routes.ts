import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../platform/auth.ts';
import { errorResponses, requestMeta } from '../platform/http.ts';
import { modelProviderSchema, providerNameParams, putModelProviderBody } from './schema.ts';
import type { ProvidersService } from './service.ts';

/** Model providers: the built-in one, the server's, and the org's own (keys never returned). */
export function modelProvidersRoutes(providers: ProvidersService) {
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    const tags = ['model-providers'];

    app.get(
      '/model-providers',
      {
        config: { auth: { permission: 'agents:read' } },
        schema: {
          operationId: 'listModelProviders',
          tags,
          summary: 'Providers agents can use in their model (provider:model) and whether each is ready',
          response: { 200: z.object({ items: z.array(modelProviderSchema) }), ...errorResponses },
        },
      },
      async (request) => providers.list(principalOf(request)),
    );

    app.put(
      '/model-providers',
      {
        config: { auth: { permission: 'model_providers:write' } },
        schema: {
          operationId: 'putModelProvider',
          tags,
          summary:
            "Set the org's key or endpoint for openai or anthropic, or add an OpenAI-compatible provider under a name of your own",
          body: putModelProviderBody,
          response: { 200: modelProviderSchema, ...errorResponses },
        },
      },
      async (request) => {
        const { name, ...settings } = request.body;
        return providers.put(principalOf(request), name, settings, requestMeta(request));
      },
    );

    app.delete(
      '/model-providers/:name',
      {
        config: { auth: { permission: 'model_providers:write' } },
        schema: {
          operationId: 'deleteModelProvider',
          tags,
          summary: "Remove the org's settings for a provider (server-wide settings then apply again)",
          params: providerNameParams,
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await providers.remove(principalOf(request), request.params.name, requestMeta(request));
        return reply.status(204).send(null);
      },
    );
  };
}
