import { boolean, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { orgs } from '../identity/tables.ts';
import { createdAt, ts } from '../platform/db/columns.ts';

const orgId = () =>
  text('org_id')
    .notNull()
    .references(() => orgs.id, { onDelete: 'cascade' });

/** Hosts the `http.get` tool may reach, per org. No row means no host is allowed. */
export const httpAllowlists = pgTable('tool_http_allowlists', {
  orgId: text('org_id')
    .primaryKey()
    .references(() => orgs.id, { onDelete: 'cascade' }),
  hosts: jsonb('hosts').$type<string[]>().notNull(),
  updatedBy: text('updated_by').notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

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
