import { and, asc, eq, gt } from 'drizzle-orm';
import type { Tx } from '../../platform/db/index.ts';
import { type McpToolInfo, mcpServers } from '../tables.ts';

export interface McpServerRecord {
  id: string;
  orgId: string;
  name: string;
  slug: string;
  description: string;
  transport: 'stdio' | 'http';
  command: string | null;
  args: string[];
  envEnc: string | null;
  url: string | null;
  headersEnc: string | null;
  requiresApproval: boolean;
  tools: McpToolInfo[];
  toolsUpdatedAt: Date | null;
  createdBy: string;
  updatedBy: string;
  createdAt: Date;
  updatedAt: Date;
}

export type McpServerChanges = Partial<
  Pick<
    McpServerRecord,
    'name' | 'description' | 'command' | 'args' | 'envEnc' | 'url' | 'headersEnc' | 'requiresApproval'
  >
>;

export async function insertMcpServer(
  tx: Tx,
  row: Omit<McpServerRecord, 'tools' | 'toolsUpdatedAt' | 'createdAt' | 'updatedAt'>,
): Promise<McpServerRecord> {
  const [inserted] = await tx.insert(mcpServers).values(row).returning();
  return inserted!;
}

export async function findMcpServer(tx: Tx, orgId: string, id: string): Promise<McpServerRecord | undefined> {
  const [row] = await tx
    .select()
    .from(mcpServers)
    .where(and(eq(mcpServers.orgId, orgId), eq(mcpServers.id, id)));
  return row;
}

export async function findMcpServerBySlug(
  tx: Tx,
  orgId: string,
  slug: string,
): Promise<McpServerRecord | undefined> {
  const [row] = await tx
    .select()
    .from(mcpServers)
    .where(and(eq(mcpServers.orgId, orgId), eq(mcpServers.slug, slug)));
  return row;
}

export async function listMcpServers(
  tx: Tx,
  orgId: string,
  page: { limit: number; after?: string | undefined },
): Promise<McpServerRecord[]> {
  const where = page.after
    ? and(eq(mcpServers.orgId, orgId), gt(mcpServers.id, page.after))
    : eq(mcpServers.orgId, orgId);
  return tx.select().from(mcpServers).where(where).orderBy(asc(mcpServers.id)).limit(page.limit);
}

/** Every MCP server of the org, for the tool registry. */
export async function listAllMcpServers(tx: Tx, orgId: string): Promise<McpServerRecord[]> {
  return tx.select().from(mcpServers).where(eq(mcpServers.orgId, orgId)).orderBy(asc(mcpServers.slug));
}

export async function updateMcpServer(
  tx: Tx,
  orgId: string,
  id: string,
  changes: McpServerChanges & { updatedBy: string },
): Promise<McpServerRecord | undefined> {
  const [row] = await tx
    .update(mcpServers)
    .set({ ...changes, updatedAt: new Date() })
    .where(and(eq(mcpServers.orgId, orgId), eq(mcpServers.id, id)))
    .returning();
  return row;
}

/** Keeps the tools a server listed; leaves `updated_at` alone, which marks changes of its settings. */
export async function saveMcpTools(tx: Tx, orgId: string, id: string, tools: McpToolInfo[]): Promise<void> {
  await tx
    .update(mcpServers)
    .set({ tools, toolsUpdatedAt: new Date() })
    .where(and(eq(mcpServers.orgId, orgId), eq(mcpServers.id, id)));
}

export async function deleteMcpServer(tx: Tx, orgId: string, id: string): Promise<boolean> {
  const rows = await tx
    .delete(mcpServers)
    .where(and(eq(mcpServers.orgId, orgId), eq(mcpServers.id, id)))
    .returning({ id: mcpServers.id });
  return rows.length > 0;
}
