import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Tx } from '../platform/db/index.ts';
import { userTokens } from './tables.ts';

export type LinkPurpose = 'password_reset' | 'email_verification' | 'invitation';

export interface LinkRecord {
  id: string;
  userId: string;
  purpose: LinkPurpose;
  orgId: string | null;
  expiresAt: Date;
  usedAt: Date | null;
}

/** What a link record is read as (never its hash). */
const linkColumns = {
  id: userTokens.id,
  userId: userTokens.userId,
  purpose: userTokens.purpose,
  orgId: userTokens.orgId,
  expiresAt: userTokens.expiresAt,
  usedAt: userTokens.usedAt,
};

/** The link with this hash and purpose, unused and unexpired at `now`. */
const usable = (tokenHash: string, purpose: LinkPurpose, now: Date) =>
  and(
    eq(userTokens.tokenHash, tokenHash),
    eq(userTokens.purpose, purpose),
    isNull(userTokens.usedAt),
    gt(userTokens.expiresAt, now),
  );

export async function insertLink(
  tx: Tx,
  row: {
    id: string;
    userId: string;
    purpose: LinkPurpose;
    orgId: string | null;
    tokenHash: string;
    expiresAt: Date;
  },
): Promise<void> {
  await tx.insert(userTokens).values(row);
}

/**
 * Spends the link with this hash for this purpose if it is unused and unexpired at `now`, atomically:
 * of two requests with the same token only one gets the record.
 */
export async function spendLink(
  tx: Tx,
  tokenHash: string,
  purpose: LinkPurpose,
  now: Date,
): Promise<LinkRecord | undefined> {
  const [row] = await tx
    .update(userTokens)
    .set({ usedAt: now })
    .where(usable(tokenHash, purpose, now))
    .returning(linkColumns);
  return row;
}

/** Spends every unused link of a person for one purpose (a new one replaces them; a reset ends them). */
export async function spendLinksOf(tx: Tx, userId: string, purpose: LinkPurpose, now: Date): Promise<void> {
  await tx
    .update(userTokens)
    .set({ usedAt: now })
    .where(and(eq(userTokens.userId, userId), eq(userTokens.purpose, purpose), isNull(userTokens.usedAt)));
}

/** The link with this hash and purpose if it can still be used at `now` (not spent by this read). */
export async function findUsableLink(
  tx: Tx,
  tokenHash: string,
  purpose: LinkPurpose,
  now: Date,
): Promise<LinkRecord | undefined> {
  const [row] = await tx
    .select(linkColumns)
    .from(userTokens)
    .where(usable(tokenHash, purpose, now));
  return row;
}
