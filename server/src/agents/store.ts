import { and, asc, desc, eq, gt, inArray, lt, ne, sql } from 'drizzle-orm';
import type { Tx } from '../platform/db/index.ts';
import type { Guardrail } from './guardrails.ts';
import { type AgentModelSettings, type AgentSnapshot, agents, agentVersions } from './tables.ts';

export interface AgentRecord {
  id: string;
  orgId: string;
  name: string;
  slug: string;
  description: string;
  instructions: string;
  model: string;
  tools: string[];
  handoffs: string[];
  modelSettings: AgentModelSettings;
  guardrails: Guardrail[];
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface AgentVersionRecord {
  version: number;
  snapshot: AgentSnapshot;
  changedBy: string;
  createdAt: Date;
}

export async function insertAgent(
  tx: Tx,
  row: Omit<AgentRecord, 'createdAt' | 'updatedAt'>,
): Promise<AgentRecord> {
  const [inserted] = await tx.insert(agents).values(row).returning();
  return inserted!;
}

export async function findAgent(tx: Tx, orgId: string, id: string): Promise<AgentRecord | undefined> {
  const [row] = await tx
    .select()
    .from(agents)
    .where(and(eq(agents.orgId, orgId), eq(agents.id, id)));
  return row;
}

/** Locks the row for the rest of the transaction, so concurrent changes get distinct versions. */
export async function findAgentForUpdate(
  tx: Tx,
  orgId: string,
  id: string,
): Promise<AgentRecord | undefined> {
  const [row] = await tx
    .select()
    .from(agents)
    .where(and(eq(agents.orgId, orgId), eq(agents.id, id)))
    .for('update');
  return row;
}

export async function findAgentBySlug(tx: Tx, orgId: string, slug: string): Promise<AgentRecord | undefined> {
  const [row] = await tx
    .select()
    .from(agents)
    .where(and(eq(agents.orgId, orgId), eq(agents.slug, slug)));
  return row;
}

export async function findAgentsByIds(tx: Tx, orgId: string, ids: string[]): Promise<AgentRecord[]> {
  if (ids.length === 0) return [];
  return tx
    .select()
    .from(agents)
    .where(and(eq(agents.orgId, orgId), inArray(agents.id, ids)));
}

/** Slugs of the org that start with `base`, to pick a free one. */
export async function slugsLike(tx: Tx, orgId: string, base: string): Promise<string[]> {
  const rows = await tx
    .select({ slug: agents.slug })
    .from(agents)
    .where(and(eq(agents.orgId, orgId), sql`${agents.slug} like ${`${base}%`}`));
  return rows.map((r) => r.slug);
}

export async function listAgents(
  tx: Tx,
  orgId: string,
  page: { limit: number; after?: string | undefined },
): Promise<AgentRecord[]> {
  const where = page.after
    ? and(eq(agents.orgId, orgId), gt(agents.id, page.after))
    : eq(agents.orgId, orgId);
  return tx.select().from(agents).where(where).orderBy(asc(agents.id)).limit(page.limit);
}

/** Every agent of the org, for the tool registry's "who may use it". */
export async function listAllAgents(tx: Tx, orgId: string): Promise<AgentRecord[]> {
  return tx.select().from(agents).where(eq(agents.orgId, orgId)).orderBy(asc(agents.id));
}

/** Agents of the org (other than `id`) that list `id` among their hand-offs. */
export async function agentsHandingOffTo(tx: Tx, orgId: string, id: string): Promise<AgentRecord[]> {
  return tx
    .select()
    .from(agents)
    .where(
      and(
        eq(agents.orgId, orgId),
        ne(agents.id, id),
        sql`${agents.handoffs} @> ${JSON.stringify([id])}::jsonb`,
      ),
    )
    .orderBy(asc(agents.id));
}

export async function updateAgent(
  tx: Tx,
  orgId: string,
  id: string,
  row: AgentSnapshot & { version: number },
): Promise<AgentRecord | undefined> {
  const [updated] = await tx
    .update(agents)
    .set({ ...row, updatedAt: new Date() })
    .where(and(eq(agents.orgId, orgId), eq(agents.id, id)))
    .returning();
  return updated;
}

export async function deleteAgent(tx: Tx, orgId: string, id: string): Promise<boolean> {
  const rows = await tx
    .delete(agents)
    .where(and(eq(agents.orgId, orgId), eq(agents.id, id)))
    .returning({ id: agents.id });
  return rows.length > 0;
}

// ---- versions --------------------------------------------------------------------------------

export async function insertVersion(
  tx: Tx,
  row: {
    id: string;
    orgId: string;
    agentId: string;
    version: number;
    snapshot: AgentSnapshot;
    changedBy: string;
  },
): Promise<void> {
  await tx.insert(agentVersions).values(row);
}

/** Newest first; `before` is a version number from the previous page. */
export async function listVersions(
  tx: Tx,
  orgId: string,
  agentId: string,
  page: { limit: number; before?: number | undefined },
): Promise<AgentVersionRecord[]> {
  const base = and(eq(agentVersions.orgId, orgId), eq(agentVersions.agentId, agentId));
  return tx
    .select({
      version: agentVersions.version,
      snapshot: agentVersions.snapshot,
      changedBy: agentVersions.changedBy,
      createdAt: agentVersions.createdAt,
    })
    .from(agentVersions)
    .where(page.before === undefined ? base : and(base, lt(agentVersions.version, page.before)))
    .orderBy(desc(agentVersions.version))
    .limit(page.limit);
}

/** Names and slugs of agents by id, whatever their org (the operator's control room). */
export async function findAgentLabels(
  tx: Tx,
  ids: string[],
): Promise<Array<{ id: string; orgId: string; name: string; slug: string }>> {
  if (ids.length === 0) return [];
  return tx
    .select({ id: agents.id, orgId: agents.orgId, name: agents.name, slug: agents.slug })
    .from(agents)
    .where(inArray(agents.id, [...new Set(ids)]));
}

export async function countAgents(tx: Tx, orgId: string): Promise<number> {
  const [row] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(agents)
    .where(eq(agents.orgId, orgId));
  return Number(row?.n ?? 0);
}
