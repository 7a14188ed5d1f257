import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../platform/auth.ts';
import { errorResponses, idParams, requestMeta } from '../platform/http.ts';
import { pageOf, pageQuerySchema } from '../platform/pagination.ts';
import { agentSchema, agentVersionSchema, createAgentBody, updateAgentBody } from './schema.ts';
import type { AgentService } from './service.ts';

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
