import { and, asc, eq } from 'drizzle-orm';
import type { Tx } from '../platform/db/index.ts';
import { modelProviders } from './tables.ts';

export type ProviderKind = 'openai' | 'anthropic' | 'openai_compatible';

export interface ProviderRecord {
  name: string;
  kind: ProviderKind;
  baseUrl: string | null;
  apiKeyEnc: string | null;
  updatedBy: string;
  createdAt: Date;
  updatedAt: Date;
}

const providerColumns = {
  name: modelProviders.name,
  kind: modelProviders.kind,
  baseUrl: modelProviders.baseUrl,
  apiKeyEnc: modelProviders.apiKeyEnc,
  updatedBy: modelProviders.updatedBy,
  createdAt: modelProviders.createdAt,
  updatedAt: modelProviders.updatedAt,
};

export async function listProviders(tx: Tx, orgId: string): Promise<ProviderRecord[]> {
  return tx
    .select(providerColumns)
    .from(modelProviders)
    .where(eq(modelProviders.orgId, orgId))
    .orderBy(asc(modelProviders.name));
}

export async function findProvider(tx: Tx, orgId: string, name: string): Promise<ProviderRecord | undefined> {
  const [row] = await tx
    .select(providerColumns)
    .from(modelProviders)
    .where(and(eq(modelProviders.orgId, orgId), eq(modelProviders.name, name)));
  return row;
}

export async function upsertProvider(
  tx: Tx,
  orgId: string,
  row: {
    name: string;
    kind: ProviderKind;
    baseUrl: string | null;
    apiKeyEnc: string | null;
    updatedBy: string;
  },
): Promise<void> {
  const updatedAt = new Date();
  await tx
    .insert(modelProviders)
    .values({ orgId, ...row, updatedAt })
    .onConflictDoUpdate({
      target: [modelProviders.orgId, modelProviders.name],
      set: {
        kind: row.kind,
        baseUrl: row.baseUrl,
        apiKeyEnc: row.apiKeyEnc,
        updatedBy: row.updatedBy,
        updatedAt,
      },
    });
}

export async function deleteProvider(tx: Tx, orgId: string, name: string): Promise<boolean> {
  const rows = await tx
    .delete(modelProviders)
    .where(and(eq(modelProviders.orgId, orgId), eq(modelProviders.name, name)))
    .returning({ name: modelProviders.name });
  return rows.length > 0;
}
