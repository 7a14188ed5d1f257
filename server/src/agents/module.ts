import type { FastifyBaseLogger } from 'fastify';
import type { Bus } from '../platform/bus.ts';
import type { Config } from '../platform/config.ts';
import type { Db } from '../platform/db/index.ts';
import type { UsageService } from '../usage/service.ts';
import { createExecutor } from './executor.ts';
import { createMcpConnections } from './mcp/connections.ts';
import { createMcpSecrets } from './mcp/secrets.ts';
import { createMcpService } from './mcp/service.ts';
import { mcpToolSource } from './mcp/source.ts';
import { createModelResolver } from './models/providers.ts';
import { createProvidersService } from './providers-service.ts';
import { createAgentService } from './service.ts';
import { builtinTools } from './tools/builtin.ts';
import { createToolRegistry, staticSource } from './tools/registry.ts';
import { allowlistLookup, createToolsService } from './tools-service.ts';

/**
 * Wires the agents domain: the tool registry (later domains add their tool sources to it; the org's
 * MCP servers are one), agents, model providers, and the executor that runs agent turns on the
 * Agents SDK. `close()` closes the MCP connections (stdio servers exit).
 */
export function createAgentsModule(
  db: Db,
  bus: Bus,
  config: Config,
  log: FastifyBaseLogger,
  usage: UsageService,
) {
  const tools = createToolRegistry([
    staticSource('builtin', builtinTools({ allowedHosts: allowlistLookup(db) })),
  ]);
  const providers = createProvidersService({ db, bus, config });
  const mcpConnections = createMcpConnections({ ...config.mcp, log });
  const mcpSecrets = createMcpSecrets(config.secret);
  tools.addSource(mcpToolSource({ db, connections: mcpConnections, secrets: mcpSecrets, log }));
  return {
    tools,
    agents: createAgentService({ db, bus, tools, usage }),
    toolsService: createToolsService({ db, tools }),
    providers,
    runAgentTurn: createExecutor({ db, tools, resolver: createModelResolver(config), providers, log }),
    mcpServers: createMcpService({
      db,
      connections: mcpConnections,
      secrets: mcpSecrets,
      stdioCommands: config.mcp.stdioCommands,
    }),
    close: () => mcpConnections.closeAll(),
  };
}

export type AgentsModule = ReturnType<typeof createAgentsModule>;
