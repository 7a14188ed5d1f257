import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../platform/auth.ts';
import { errorResponses, requestMeta } from '../platform/http.ts';
import { httpAllowlistSchema, putHttpAllowlistBody, toolSchema } from './schema.ts';
import type { ToolsService } from './service.ts';

/** The tool registry and the `http.get` allow-list. */
export function toolsRoutes(tools: ToolsService) {
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    const tags = ['tools'];

    app.get(
      '/tools',
      {
        config: { auth: { permission: 'tools:read' } },
        schema: {
          operationId: 'listTools',
          tags,
          summary: 'Every tool agents can be given, with its JSON schema and the agents that have it',
          response: { 200: z.object({ items: z.array(toolSchema) }), ...errorResponses },
        },
      },
      async (request) => tools.list(principalOf(request)),
    );

    app.get(
      '/tools/http-allowlist',
      {
        config: { auth: { permission: 'tools:read' } },
        schema: {
          operationId: 'getHttpAllowlist',
          tags,
          summary: 'Hosts the http.get tool may reach',
          response: { 200: httpAllowlistSchema, ...errorResponses },
        },
      },
      async (request) => tools.getAllowlist(principalOf(request)),
    );

    app.put(
      '/tools/http-allowlist',
      {
        config: { auth: { permission: 'tools:write' } },
        schema: {
          operationId: 'putHttpAllowlist',
          tags,
          summary: 'Replace the hosts the http.get tool may reach',
          body: putHttpAllowlistBody,
          response: { 200: httpAllowlistSchema, ...errorResponses },
        },
      },
      async (request) => tools.putAllowlist(principalOf(request), request.body.hosts, requestMeta(request)),
    );
  };
}
