import { and, count, desc, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { Tx } from '../platform/db/index.ts';
import { apiKeys, loginEvents, refreshTokens, signingKeys } from './tables.ts';

// ---- refresh tokens -------------------------------------------------------------------------

export interface RefreshTokenRecord {
  id: string;
  familyId: string;
  userId: string;
  orgId: string;
  expiresAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
}

export async function insertRefreshToken(
  tx: Tx,
  row: { id: string; familyId: string; userId: string; orgId: string; tokenHash: string; expiresAt: Date },
): Promise<void> {
  await tx.insert(refreshTokens).values(row);
}

export async function findRefreshToken(tx: Tx, tokenHash: string): Promise<RefreshTokenRecord | undefined> {
  const [row] = await tx
    .select({
      id: refreshTokens.id,
      familyId: refreshTokens.familyId,
      userId: refreshTokens.userId,
      orgId: refreshTokens.orgId,
      expiresAt: refreshTokens.expiresAt,
      usedAt: refreshTokens.usedAt,
      revokedAt: refreshTokens.revokedAt,
    })
    .from(refreshTokens)
    .where(eq(refreshTokens.tokenHash, tokenHash));
  return row;
}

/** Marks a token spent if, and only if, nobody spent it first; false means it was already used. */
export async function spendRefreshToken(tx: Tx, id: string): Promise<boolean> {
  const rows = await tx
    .update(refreshTokens)
    .set({ usedAt: new Date() })
    .where(and(eq(refreshTokens.id, id), isNull(refreshTokens.usedAt), isNull(refreshTokens.revokedAt)))
    .returning({ id: refreshTokens.id });
  return rows.length > 0;
}

export async function revokeRefreshFamily(tx: Tx, familyId: string): Promise<void> {
  await tx
    .update(refreshTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)));
}

export async function revokeRefreshTokensOfUser(tx: Tx, userId: string, orgId: string): Promise<void> {
  await tx
    .update(refreshTokens)
    .set({ revokedAt: new Date() })
    .where(
      and(eq(refreshTokens.userId, userId), eq(refreshTokens.orgId, orgId), isNull(refreshTokens.revokedAt)),
    );
}

export async function revokeAllRefreshTokensOfUser(tx: Tx, userId: string): Promise<void> {
  await tx
    .update(refreshTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt)));
}

// ---- API keys -------------------------------------------------------------------------------

export interface ApiKeyRecord {
  id: string;
  orgId: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdBy: string;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}

const apiKeyColumns = {
  id: apiKeys.id,
  orgId: apiKeys.orgId,
  name: apiKeys.name,
  prefix: apiKeys.prefix,
  scopes: apiKeys.scopes,
  createdBy: apiKeys.createdBy,
  expiresAt: apiKeys.expiresAt,
  lastUsedAt: apiKeys.lastUsedAt,
  revokedAt: apiKeys.revokedAt,
  createdAt: apiKeys.createdAt,
};

export async function insertApiKey(
  tx: Tx,
  row: Omit<ApiKeyRecord, 'lastUsedAt' | 'revokedAt' | 'createdAt'> & { keyHash: string },
): Promise<ApiKeyRecord> {
  const [created] = await tx.insert(apiKeys).values(row).returning(apiKeyColumns);
  return created!;
}

export async function listApiKeys(
  tx: Tx,
  orgId: string,
  page: { limit: number; after?: string | undefined },
): Promise<ApiKeyRecord[]> {
  const where = page.after
    ? and(eq(apiKeys.orgId, orgId), gt(apiKeys.id, page.after))
    : eq(apiKeys.orgId, orgId);
  return tx.select(apiKeyColumns).from(apiKeys).where(where).orderBy(apiKeys.id).limit(page.limit);
}

export async function findApiKey(tx: Tx, orgId: string, id: string): Promise<ApiKeyRecord | undefined> {
  const [row] = await tx
    .select(apiKeyColumns)
    .from(apiKeys)
    .where(and(eq(apiKeys.orgId, orgId), eq(apiKeys.id, id)));
  return row;
}

export async function findApiKeyByHash(tx: Tx, keyHash: string): Promise<ApiKeyRecord | undefined> {
  const [row] = await tx.select(apiKeyColumns).from(apiKeys).where(eq(apiKeys.keyHash, keyHash));
  return row;
}

export async function countApiKeys(tx: Tx, orgId: string): Promise<number> {
  const [row] = await tx.select({ n: count() }).from(apiKeys).where(eq(apiKeys.orgId, orgId));
  return row?.n ?? 0;
}

export async function revokeApiKey(tx: Tx, orgId: string, id: string): Promise<void> {
  await tx
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiKeys.orgId, orgId), eq(apiKeys.id, id), isNull(apiKeys.revokedAt)));
}

export async function touchApiKey(tx: Tx, id: string, at: Date): Promise<void> {
  await tx.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, id));
}

// ---- signing keys ---------------------------------------------------------------------------

export interface SigningKeyRecord {
  kid: string;
  publicJwk: Record<string, string>;
  privateKeyEnc: string;
  createdAt: Date;
  retiredAt: Date | null;
}

/** Keys still worth knowing: the active ones and those retired recently enough to have live tokens. */
export async function listLiveSigningKeys(tx: Tx, retiredAfter: Date): Promise<SigningKeyRecord[]> {
  return tx
    .select()
    .from(signingKeys)
    .where(or(isNull(signingKeys.retiredAt), gt(signingKeys.retiredAt, retiredAfter)))
    .orderBy(desc(signingKeys.createdAt));
}

export async function insertSigningKey(
  tx: Tx,
  row: Omit<SigningKeyRecord, 'createdAt' | 'retiredAt'>,
): Promise<void> {
  await tx.insert(signingKeys).values(row);
}

export async function retireSigningKeysExcept(tx: Tx, kid: string): Promise<void> {
  await tx
    .update(signingKeys)
    .set({ retiredAt: new Date() })
    .where(and(isNull(signingKeys.retiredAt), sql`${signingKeys.kid} <> ${kid}`));
}

// ---- login events ---------------------------------------------------------------------------

export async function insertLoginEvent(
  tx: Tx,
  row: {
    id: string;
    kind: 'success' | 'failure' | 'lockout';
    email: string;
    userId: string | null;
    orgId: string | null;
    ip: string;
    userAgent: string | null;
    reason: string | null;
  },
): Promise<void> {
  await tx.insert(loginEvents).values(row);
}

export async function countFailuresFromIp(tx: Tx, ip: string, since: Date): Promise<number> {
  const [row] = await tx
    .select({ n: count() })
    .from(loginEvents)
    .where(and(eq(loginEvents.ip, ip), eq(loginEvents.kind, 'failure'), gt(loginEvents.createdAt, since)));
  return row?.n ?? 0;
}
