import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../platform/auth.ts';
import { errorResponses, requestMeta } from '../platform/http.ts';
import { pageOf, pageQuerySchema } from '../platform/pagination.ts';
import { agentHealthSchema, healthQuerySchema } from '../usage/schema.ts';
import { agentSchema, agentVersionSchema, createAgentBody, idParams, updateAgentBody } from './schema.ts';
import { type AgentService, MAX_HEALTH_BATCH } from './service.ts';

/** Agents CRUD and their version history. */
export function agentsRoutes(agents: AgentService) {
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    const tags = ['agents'];

    app.get(
      '/agents',
      {
        config: { auth: { permission: 'agents:read' } },
        schema: {
          operationId: 'listAgents',
          tags,
          summary: 'The agents of your organisation, oldest first',
          querystring: pageQuerySchema,
          response: { 200: pageOf(agentSchema), ...errorResponses },
        },
      },
      async (request) => agents.list(principalOf(request), request.query),
    );

    app.post(
      '/agents',
      {
        config: { auth: { permission: 'agents:write' } },
        schema: {
          operationId: 'createAgent',
          tags,
          summary: 'Create an agent (version 1)',
          body: createAgentBody,
          response: { 201: agentSchema, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await agents.create(principalOf(request), request.body, requestMeta(request))),
    );

    app.get(
      '/agents/:id',
      {
        config: { auth: { permission: 'agents:read' } },
        schema: {
          operationId: 'getAgent',
          tags,
          params: idParams,
          response: { 200: agentSchema, ...errorResponses },
        },
      },
      async (request) => agents.get(principalOf(request), request.params.id),
    );

    app.patch(
      '/agents/:id',
      {
        config: { auth: { permission: 'agents:write' } },
        schema: {
          operationId: 'updateAgent',
          tags,
          summary: 'Change an agent; each change that alters it makes a new version',
          params: idParams,
          body: updateAgentBody,
          response: { 200: agentSchema, ...errorResponses },
        },
      },
      async (request) =>
        agents.update(principalOf(request), request.params.id, request.body, requestMeta(request)),
    );

    app.delete(
      '/agents/:id',
      {
        config: { auth: { permission: 'agents:write' } },
        schema: {
          operationId: 'deleteAgent',
          tags,
          summary: 'Delete an agent; refused (409 agent_in_use) while other agents hand off to it',
          params: idParams,
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await agents.remove(principalOf(request), request.params.id, requestMeta(request));
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/agents/health',
      {
        config: { auth: { permission: 'agents:read' } },
        schema: {
          operationId: 'listAgentHealth',
          tags,
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
        items: await agents.healthOf(principalOf(request), request.query.window, request.query.ids),
      }),
    );

    app.get(
      '/agents/:id/health',
      {
        config: { auth: { permission: 'agents:read' } },
        schema: {
          operationId: 'getAgentHealth',
          tags,
          summary:
            'Success rate, errors, latency p50/p95, tokens and last activity of the agent over a recent window',
          description:
            "Computed from the usage records of the agent's model calls (chat and runs alike). Each call made after a hand-off counts for the agent that made it.",
          params: idParams,
          querystring: healthQuerySchema,
          response: { 200: agentHealthSchema, ...errorResponses },
        },
      },
      async (request) => agents.health(principalOf(request), request.params.id, request.query.window),
    );

    app.get(
      '/agents/:id/versions',
      {
        config: { auth: { permission: 'agents:read' } },
        schema: {
          operationId: 'listAgentVersions',
          tags,
          summary: 'Every version of an agent, newest first, each a full snapshot',
          params: idParams,
          querystring: pageQuerySchema,
          response: { 200: pageOf(agentVersionSchema), ...errorResponses },
        },
      },
      async (request) => agents.versions(principalOf(request), request.params.id, request.query),
    );
  };
}
