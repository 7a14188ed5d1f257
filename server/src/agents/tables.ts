import { boolean, integer, jsonb, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { orgs } from '../identity/tables.ts';
import { createdAt, ts } from '../platform/db/columns.ts';
import type { Guardrail } from './guardrails.ts';

const orgId = () =>
  text('org_id')
    .notNull()
    .references(() => orgs.id, { onDelete: 'cascade' });

/** Model settings an agent may carry; passed to the model on every call. */
export interface AgentModelSettings {
  temperature?: number | undefined;
  topP?: number | undefined;
  maxTokens?: number | undefined;
  toolChoice?: 'auto' | 'required' | 'none' | undefined;
  parallelToolCalls?: boolean | undefined;
}

/** An agent of an org: what it is told, which model it runs on, its tools and who it may hand off to. */
export const agents = pgTable(
  'agents',
  {
    id: text('id').primaryKey(),
    orgId: orgId(),
    name: text('name').notNull(),
    slug: text('slug').notNull(),
    description: text('description').notNull().default(''),
    instructions: text('instructions').notNull().default(''),
    model: text('model').notNull(),
    tools: jsonb('tools').$type<string[]>().notNull(),
    handoffs: jsonb('handoffs').$type<string[]>().notNull(),
    modelSettings: jsonb('model_settings').$type<AgentModelSettings>().notNull(),
    guardrails: jsonb('guardrails').$type<Guardrail[]>().notNull().default([]),
    version: integer('version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('agents_org_slug_key').on(t.orgId, t.slug)],
);

/** The full state of an agent after each change, so any version can be read back. */
export interface AgentSnapshot {
  name: string;
  slug: string;
  description: string;
  instructions: string;
  model: string;
  tools: string[];
  handoffs: string[];
  modelSettings: AgentModelSettings;
  /** Missing from versions kept before guardrails existed; read as none. */
  guardrails?: Guardrail[];
}

export const agentVersions = pgTable(
  'agent_versions',
  {
    id: text('id').primaryKey(),
    orgId: orgId(),
    agentId: text('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    snapshot: jsonb('snapshot').$type<AgentSnapshot>().notNull(),
    /** The user or API key that made the change. */
    changedBy: text('changed_by').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('agent_versions_agent_version_key').on(t.agentId, t.version)],
);

/** Hosts the `http.get` tool may reach, per org. No row means no host is allowed. */
export const httpAllowlists = pgTable('tool_http_allowlists', {
  orgId: text('org_id')
    .primaryKey()
    .references(() => orgs.id, { onDelete: 'cascade' }),
  hosts: jsonb('hosts').$type<string[]>().notNull(),
  updatedBy: text('updated_by').notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

/** An org's own model provider settings; the API key is stored encrypted, never returned. */
export const modelProviders = pgTable(
  'model_providers',
  {
    orgId: orgId(),
    name: text('name').notNull(),
    kind: text('kind').$type<'openai' | 'anthropic' | 'openai_compatible'>().notNull(),
    baseUrl: text('base_url'),
    apiKeyEnc: text('api_key_enc'),
    updatedBy: text('updated_by').notNull(),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.name] })],
);

/** A tool an MCP server offered when last listed, kept so its tools stay known while it is down. */
export interface McpToolInfo {
  /** The tool's name on the MCP server. */
  name: string;
  description: string;
  /** The server's JSON schema of the arguments. */
  inputSchema: Record<string, unknown>;
}

/**
 * An org's MCP server: a command Switchboard starts (stdio) or a streamable HTTP endpoint. Its
 * environment and headers hold secrets, so they are stored encrypted (JSON objects).
 */
export const mcpServers = pgTable(
  'mcp_servers',
  {
    id: text('id').primaryKey(),
    orgId: orgId(),
    name: text('name').notNull(),
    slug: text('slug').notNull(),
    description: text('description').notNull().default(''),
    transport: text('transport').$type<'stdio' | 'http'>().notNull(),
    command: text('command'),
    args: jsonb('args').$type<string[]>().notNull().default([]),
    envEnc: text('env_enc'),
    url: text('url'),
    headersEnc: text('headers_enc'),
    requiresApproval: boolean('requires_approval').notNull().default(false),
    tools: jsonb('tools').$type<McpToolInfo[]>().notNull().default([]),
    toolsUpdatedAt: ts('tools_updated_at'),
    createdBy: text('created_by').notNull(),
    updatedBy: text('updated_by').notNull(),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('mcp_servers_org_slug_key').on(t.orgId, t.slug)],
);
