import { eq } from 'drizzle-orm';
import type { Tx } from '../platform/db/index.ts';
import { httpAllowlists } from './tables.ts';

export interface AllowlistRecord {
  hosts: string[];
  updatedBy: string;
  updatedAt: Date;
}

export async function findAllowlist(tx: Tx, orgId: string): Promise<AllowlistRecord | undefined> {
  const [row] = await tx
    .select({
      hosts: httpAllowlists.hosts,
      updatedBy: httpAllowlists.updatedBy,
      updatedAt: httpAllowlists.updatedAt,
    })
    .from(httpAllowlists)
    .where(eq(httpAllowlists.orgId, orgId));
  return row;
}

export async function upsertAllowlist(
  tx: Tx,
  orgId: string,
  hosts: string[],
  updatedBy: string,
): Promise<void> {
  const updatedAt = new Date();
  await tx
    .insert(httpAllowlists)
    .values({ orgId, hosts, updatedBy, updatedAt })
    .onConflictDoUpdate({ target: httpAllowlists.orgId, set: { hosts, updatedBy, updatedAt } });
}
