import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../platform/config.ts';
import type { Db } from '../platform/db/index.ts';
import { builtinTools } from './builtin.ts';
import { createMcpConnections } from './mcp/connections.ts';
import { createMcpSecrets } from './mcp/secrets.ts';
import { createMcpService } from './mcp/service.ts';
import { mcpToolSource } from './mcp/source.ts';
import { createToolRegistry, staticSource } from './registry.ts';
import { allowlistLookup, createToolsService, type ToolHolders } from './service.ts';

/**
 * Wires the tool registry (built-in tools and the org's MCP servers; later domains add their own
 * sources) and its API. `close()` closes the MCP connections (stdio servers exit).
 */
export function createToolsModule(deps: {
  db: Db;
  config: Config;
  log: FastifyBaseLogger;
  holders: ToolHolders;
}) {
  const { db, config, log } = deps;
  const registry = createToolRegistry([
    staticSource('builtin', builtinTools({ allowedHosts: allowlistLookup(db) })),
  ]);
  const connections = createMcpConnections({ ...config.mcp, log });
  const secrets = createMcpSecrets(config.secret);
  registry.addSource(mcpToolSource({ db, connections, secrets, log }));
  return {
    registry,
    service: createToolsService({ db, tools: registry, holders: deps.holders }),
    mcp: createMcpService({
      db,
      connections,
      secrets,
      stdioCommands: config.mcp.stdioCommands,
      holders: deps.holders,
    }),
    close: () => connections.closeAll(),
  };
}

export type ToolsModule = ReturnType<typeof createToolsModule>;
