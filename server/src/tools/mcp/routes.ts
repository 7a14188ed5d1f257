import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../../platform/auth.ts';
import { errorResponses, idParams, requestMeta } from '../../platform/http.ts';
import { pageOf, pageQuerySchema } from '../../platform/pagination.ts';
import { createMcpServerBody, mcpServerSchema, updateMcpServerBody } from './schema.ts';
import type { McpService } from './service.ts';

/** An org's MCP servers, whose tools join the tool registry as mcp.<slug>.<tool>. */
export function mcpServersRoutes(mcp: McpService) {
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    const tags = ['mcp-servers'];

    app.get(
      '/mcp-servers',
      {
        config: { auth: { permission: 'tools:read' } },
        schema: {
          operationId: 'listMcpServers',
          tags,
          summary:
            "The organisation's MCP servers, oldest first, with what this server knows of their connection",
          description:
            'Listing opens no connection: a server not used yet on this replica shows status idle.',
          querystring: pageQuerySchema,
          response: { 200: pageOf(mcpServerSchema), ...errorResponses },
        },
      },
      async (request) => mcp.list(principalOf(request), request.query),
    );

    app.post(
      '/mcp-servers',
      {
        config: { auth: { permission: 'tools:write' } },
        schema: {
          operationId: 'createMcpServer',
          tags,
          summary:
            'Register an MCP server: a command started on this host (stdio) or a streamable HTTP endpoint',
          description:
            'stdio commands must be allowed by the operator (MCP_STDIO_COMMANDS), else 403 mcp_command_not_allowed. The server is connected when its tools are first needed.',
          body: createMcpServerBody,
          response: { 201: mcpServerSchema, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await mcp.create(principalOf(request), request.body, requestMeta(request))),
    );

    app.get(
      '/mcp-servers/:id',
      {
        config: { auth: { permission: 'tools:read' } },
        schema: {
          operationId: 'getMcpServer',
          tags,
          summary:
            'An MCP server, connected if it was not: status connected with its tools, or error with why',
          params: idParams,
          response: { 200: mcpServerSchema, ...errorResponses },
        },
      },
      async (request) => mcp.get(principalOf(request), request.params.id),
    );

    app.patch(
      '/mcp-servers/:id',
      {
        config: { auth: { permission: 'tools:write' } },
        schema: {
          operationId: 'updateMcpServer',
          tags,
          summary:
            'Change an MCP server; its connection is closed and reopened with the new settings when next used',
          params: idParams,
          body: updateMcpServerBody,
          response: { 200: mcpServerSchema, ...errorResponses },
        },
      },
      async (request) =>
        mcp.update(principalOf(request), request.params.id, request.body, requestMeta(request)),
    );

    app.delete(
      '/mcp-servers/:id',
      {
        config: { auth: { permission: 'tools:write' } },
        schema: {
          operationId: 'deleteMcpServer',
          tags,
          summary:
            'Delete an MCP server and close its connection; refused (409 mcp_server_in_use) while agents have its tools',
          params: idParams,
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await mcp.remove(principalOf(request), request.params.id, requestMeta(request));
        return reply.status(204).send(null);
      },
    );
  };
}
