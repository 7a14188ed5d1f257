import { eq } from 'drizzle-orm';
import type { Tx } from '../platform/db/index.ts';
import { webhooks } from './tables.ts';

export async function findWebhook(tx: Tx, orgId: string) {
  const [row] = await tx.select().from(webhooks).where(eq(webhooks.orgId, orgId));
  return row;
}

export async function upsertWebhook(tx: Tx, orgId: string, url: string, secretEnc: string): Promise<void> {
  await tx
    .insert(webhooks)
    .values({ orgId, url, secretEnc })
    .onConflictDoUpdate({ target: webhooks.orgId, set: { url, secretEnc, updatedAt: new Date() } });
}

export async function deleteWebhook(tx: Tx, orgId: string): Promise<void> {
  await tx.delete(webhooks).where(eq(webhooks.orgId, orgId));
}
