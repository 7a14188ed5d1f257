import { asc, count, eq } from 'drizzle-orm';
import { memberships, orgs, users } from '../identity/tables.ts';
import type { Tx } from '../platform/db/index.ts';

// Read-only counts over identity's tables for the control room. Identity exposes no counting or
// "operator org" function yet; when it does, these move behind its service.

export async function countOrgs(tx: Tx): Promise<number> {
  const [row] = await tx.select({ n: count() }).from(orgs);
  return row?.n ?? 0;
}

export async function countUsers(tx: Tx): Promise<number> {
  const [row] = await tx.select({ n: count() }).from(users);
  return row?.n ?? 0;
}

/** The first org a user joined, found by email (the start-up admin's org). */
export async function firstOrgOfEmail(tx: Tx, email: string): Promise<string | undefined> {
  const [row] = await tx
    .select({ orgId: memberships.orgId })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(users.email, email))
    .orderBy(asc(memberships.createdAt))
    .limit(1);
  return row?.orgId;
}

export async function oldestOrg(tx: Tx): Promise<string | undefined> {
  const [row] = await tx
    .select({ id: orgs.id })
    .from(orgs)
    .orderBy(asc(orgs.createdAt), asc(orgs.id))
    .limit(1);
  return row?.id;
}
