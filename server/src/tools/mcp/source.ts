import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { CallToolResult, Tool } from '@modelcontextprotocol/client';
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import type { Db } from '../../platform/db/index.ts';
import { isToolName, MAX_TOOL_NAME, type ToolDefinition, type ToolSource } from '../registry.ts';
import type { McpToolInfo } from '../tables.ts';
import type { McpConnections, McpTarget } from './connections.ts';
import type { McpSecrets } from './secrets.ts';
import * as store from './store.ts';

/**
 * The registry name of an MCP tool: `mcp.<slug>.<tool>`, the tool's name lower-cased with anything
 * but a-z, 0-9 and _ made _, (`Break-It` -> `break_it`), cut to fit 64 characters with a hash of
 * the original so that cut names stay distinct. Undefined when no valid name can be made.
 */
export function mcpToolName(slug: string, mcpName: string): string | undefined {
  const prefix = `mcp.${slug}.`;
  let word = mcpName.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  if (!/^[a-z]/.test(word)) word = `t_${word}`;
  const room = MAX_TOOL_NAME - prefix.length;
  if (word.length > room) {
    const hash = createHash('sha256').update(mcpName).digest('hex').slice(0, 6);
    word = `${word.slice(0, room - hash.length - 1)}_${hash}`;
  }
  const name = prefix + word;
  return isToolName(name) ? name : undefined;
}

/** The server's JSON schema as the model and the API see it: always an object schema. */
export function argumentsSchema(input: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _dialect, ...schema } = input;
  const properties = schema.properties;
  return {
    ...schema,
    type: 'object',
    properties: properties && typeof properties === 'object' ? properties : {},
  };
}

/** What the model reads back: the structured result when there is one, else the text. */
export function toolOutput(result: CallToolResult): unknown {
  if (result.structuredContent !== undefined) return result.structuredContent;
  const texts = result.content.flatMap((c) => (c.type === 'text' ? [c.text] : []));
  return texts.length === result.content.length ? texts.join('\n') : result.content;
}

export function toolInfos(tools: Tool[]): McpToolInfo[] {
  return tools.map((t) => ({
    name: t.name,
    description: t.description ?? '',
    inputSchema: t.inputSchema as Record<string, unknown>,
  }));
}

/** Each MCP tool under its registry name; a later tool whose name comes out the same is left out. */
export function namedTools(slug: string, infos: McpToolInfo[]): Array<{ name: string; info: McpToolInfo }> {
  const seen = new Set<string>();
  const named: Array<{ name: string; info: McpToolInfo }> = [];
  for (const info of infos) {
    const name = mcpToolName(slug, info.name);
    if (!name || seen.has(name)) continue;
    seen.add(name);
    named.push({ name, info });
  }
  return named;
}

export interface McpSourceDeps {
  db: Db;
  connections: McpConnections;
  secrets: McpSecrets;
  log: FastifyBaseLogger;
}

/**
 * The tools of an org's MCP servers, for the registry. Servers are connected when their tools are
 * first needed; a server that cannot be reached keeps the tools it listed last, and calling one
 * gives the model a clear error instead of a missing tool.
 */
export function mcpToolSource(deps: McpSourceDeps): ToolSource {
  const definition = (target: McpTarget, requiresApproval: boolean, name: string, info: McpToolInfo) =>
    ({
      name,
      description: info.description || `${info.name} on MCP server ${target.slug}`,
      parameters: z.looseObject({}),
      jsonSchema: argumentsSchema(info.inputSchema),
      requiresApproval,
      source: `mcp:${target.slug}`,
      async execute(args, ctx) {
        const result = await deps.connections.callTool(
          target,
          info.name,
          args as Record<string, unknown>,
          ctx.signal,
        );
        return toolOutput(result);
      },
    }) satisfies ToolDefinition;

  async function toolsOf(row: store.McpServerRecord): Promise<ToolDefinition[]> {
    const target = deps.secrets.target(row);
    const conn = await deps.connections.connection(target);
    let infos = row.tools;
    if (conn.state === 'connected') {
      infos = toolInfos(conn.tools);
      if (!isDeepStrictEqual(infos, row.tools)) {
        await store.saveMcpTools(deps.db, row.orgId, row.id, infos).catch((err: unknown) => {
          deps.log.warn({ err, mcpServer: row.slug }, 'could not keep the tools of an MCP server');
        });
      }
    }
    return namedTools(row.slug, infos).map(({ name, info }) =>
      definition(target, row.requiresApproval, name, info),
    );
  }

  return {
    name: 'mcp',
    prefix: 'mcp.',
    async tools(orgId) {
      const rows = await store.listAllMcpServers(deps.db, orgId);
      await deps.connections.closeOthers(orgId, new Set(rows.map((r) => r.id)));
      return (await Promise.all(rows.map(toolsOf))).flat();
    },
  };
}
