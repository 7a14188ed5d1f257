import { and, asc, count, eq, gt, inArray, isNull } from 'drizzle-orm';
import type { Tx } from '../platform/db/index.ts';
import { apiKeys, memberships, orgs, roles, users } from './tables.ts';

export interface OrgRecord {
  id: string;
  name: string;
  createdAt: Date;
}
export interface UserRecord {
  id: string;
  email: string;
  name: string;
  passwordHash: string;
  failedLogins: number;
  lockedUntil: Date | null;
  emailVerifiedAt: Date | null;
  createdAt: Date;
}
export interface RoleRecord {
  id: string;
  orgId: string;
  name: string;
  description: string;
  permissions: string[];
  builtin: boolean;
  createdAt: Date;
  updatedAt: Date;
}
export interface MemberRecord {
  id: string;
  orgId: string;
  userId: string;
  email: string;
  name: string;
  emailVerifiedAt: Date | null;
  gettingStartedDismissedAt: Date | null;
  role: RoleRecord;
  createdAt: Date;
}

// ---- orgs and users -------------------------------------------------------------------------

export async function insertOrg(tx: Tx, org: { id: string; name: string }): Promise<OrgRecord> {
  const [row] = await tx.insert(orgs).values(org).returning();
  return row!;
}

export async function findOrg(tx: Tx, id: string): Promise<OrgRecord | undefined> {
  const [row] = await tx.select().from(orgs).where(eq(orgs.id, id));
  return row;
}

export async function insertUser(
  tx: Tx,
  user: { id: string; email: string; name: string; passwordHash: string },
): Promise<UserRecord> {
  const [row] = await tx.insert(users).values(user).returning();
  return row!;
}

export async function findUserByEmail(tx: Tx, email: string): Promise<UserRecord | undefined> {
  const [row] = await tx.select().from(users).where(eq(users.email, email));
  return row;
}

export async function findUser(tx: Tx, id: string): Promise<UserRecord | undefined> {
  const [row] = await tx.select().from(users).where(eq(users.id, id));
  return row;
}

export async function updateUserLoginState(
  tx: Tx,
  id: string,
  state: { failedLogins: number; lockedUntil: Date | null },
): Promise<void> {
  await tx.update(users).set(state).where(eq(users.id, id));
}

export async function updateUserPassword(
  tx: Tx,
  id: string,
  passwordHash: string,
  name?: string,
): Promise<void> {
  await tx
    .update(users)
    .set({ passwordHash, failedLogins: 0, lockedUntil: null, ...(name ? { name } : {}) })
    .where(eq(users.id, id));
}

export async function markEmailVerified(tx: Tx, id: string, at: Date): Promise<void> {
  await tx
    .update(users)
    .set({ emailVerifiedAt: at })
    .where(and(eq(users.id, id), isNull(users.emailVerifiedAt)));
}

export async function setGettingStartedDismissed(
  tx: Tx,
  orgId: string,
  userId: string,
  at: Date | null,
): Promise<void> {
  await tx
    .update(memberships)
    .set({ gettingStartedDismissedAt: at })
    .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)));
}

// ---- roles ----------------------------------------------------------------------------------

export async function insertRoles(
  tx: Tx,
  rows: Array<Omit<RoleRecord, 'createdAt' | 'updatedAt'>>,
): Promise<void> {
  await tx.insert(roles).values(rows);
}

export async function listRoles(tx: Tx, orgId: string): Promise<RoleRecord[]> {
  return tx
    .select()
    .from(roles)
    .where(eq(roles.orgId, orgId))
    .orderBy(asc(roles.builtin), asc(roles.createdAt));
}

export async function findRole(tx: Tx, orgId: string, id: string): Promise<RoleRecord | undefined> {
  const [row] = await tx
    .select()
    .from(roles)
    .where(and(eq(roles.orgId, orgId), eq(roles.id, id)));
  return row;
}

export async function findRoleByName(tx: Tx, orgId: string, name: string): Promise<RoleRecord | undefined> {
  const [row] = await tx
    .select()
    .from(roles)
    .where(and(eq(roles.orgId, orgId), eq(roles.name, name)));
  return row;
}

export async function updateRole(
  tx: Tx,
  orgId: string,
  id: string,
  patch: { name?: string; description?: string; permissions?: string[] },
): Promise<RoleRecord | undefined> {
  const [row] = await tx
    .update(roles)
    .set({ ...patch, updatedAt: new Date() })
    .where(and(eq(roles.orgId, orgId), eq(roles.id, id)))
    .returning();
  return row;
}

export async function deleteRole(tx: Tx, orgId: string, id: string): Promise<boolean> {
  const rows = await tx
    .delete(roles)
    .where(and(eq(roles.orgId, orgId), eq(roles.id, id)))
    .returning({ id: roles.id });
  return rows.length > 0;
}

export async function countMembers(tx: Tx, orgId: string): Promise<number> {
  const [row] = await tx.select({ n: count() }).from(memberships).where(eq(memberships.orgId, orgId));
  return Number(row?.n ?? 0);
}

export async function countMembersWithRole(tx: Tx, orgId: string, roleId: string): Promise<number> {
  const [row] = await tx
    .select({ n: count() })
    .from(memberships)
    .where(and(eq(memberships.orgId, orgId), eq(memberships.roleId, roleId)));
  return row?.n ?? 0;
}

// ---- memberships ----------------------------------------------------------------------------

const memberColumns = {
  id: memberships.id,
  orgId: memberships.orgId,
  userId: memberships.userId,
  email: users.email,
  name: users.name,
  emailVerifiedAt: users.emailVerifiedAt,
  gettingStartedDismissedAt: memberships.gettingStartedDismissedAt,
  createdAt: memberships.createdAt,
  role: roles,
};

export async function insertMembership(
  tx: Tx,
  m: { id: string; orgId: string; userId: string; roleId: string },
): Promise<void> {
  // Tokens from an earlier membership of the same person (removed, then added again) stay refused.
  await tx.insert(memberships).values({ ...m, sessionsValidAfter: new Date() });
}

function membersQuery(tx: Tx) {
  return tx
    .select(memberColumns)
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .innerJoin(roles, eq(roles.id, memberships.roleId));
}

export async function listMembers(
  tx: Tx,
  orgId: string,
  page: { limit: number; after?: string | undefined },
): Promise<MemberRecord[]> {
  const where = page.after
    ? and(eq(memberships.orgId, orgId), gt(memberships.id, page.after))
    : eq(memberships.orgId, orgId);
  return membersQuery(tx).where(where).orderBy(asc(memberships.id)).limit(page.limit);
}

export async function findMember(tx: Tx, orgId: string, id: string): Promise<MemberRecord | undefined> {
  const [row] = await membersQuery(tx).where(and(eq(memberships.orgId, orgId), eq(memberships.id, id)));
  return row;
}

export async function findMembershipOfUser(
  tx: Tx,
  userId: string,
  orgId?: string,
): Promise<MemberRecord | undefined> {
  const where = orgId
    ? and(eq(memberships.userId, userId), eq(memberships.orgId, orgId))
    : eq(memberships.userId, userId);
  const [row] = await membersQuery(tx).where(where).orderBy(asc(memberships.createdAt)).limit(1);
  return row;
}

export async function updateMemberRole(tx: Tx, orgId: string, id: string, roleId: string): Promise<void> {
  await tx
    .update(memberships)
    .set({ roleId })
    .where(and(eq(memberships.orgId, orgId), eq(memberships.id, id)));
}

// ---- session marks ---------------------------------------------------------------------------

/**
 * What decides whether an access token of `userId` for `orgId` is still good: the user's and the
 * membership's "tokens issued before" instants; undefined when the user is no longer a member there.
 */
export async function findSessionMarks(
  tx: Tx,
  userId: string,
  orgId: string,
): Promise<{ user: Date | null; member: Date | null } | undefined> {
  const [row] = await tx
    .select({ user: users.sessionsValidAfter, member: memberships.sessionsValidAfter })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.userId, userId), eq(memberships.orgId, orgId)));
  return row;
}

/** Refuses every access token of the user issued before `at`, in every org. */
export async function markUserSessions(tx: Tx, userId: string, at: Date): Promise<void> {
  await tx.update(users).set({ sessionsValidAfter: at }).where(eq(users.id, userId));
}

/** Refuses access tokens of these members of the org issued before `at`; answers their user ids. */
export async function markMemberSessions(
  tx: Tx,
  orgId: string,
  which: { memberId: string } | { roleId: string },
  at: Date,
): Promise<string[]> {
  const match =
    'memberId' in which ? eq(memberships.id, which.memberId) : eq(memberships.roleId, which.roleId);
  const rows = await tx
    .update(memberships)
    .set({ sessionsValidAfter: at })
    .where(and(eq(memberships.orgId, orgId), match))
    .returning({ userId: memberships.userId });
  return rows.map((r) => r.userId);
}

export async function deleteMember(tx: Tx, orgId: string, id: string): Promise<void> {
  await tx.delete(memberships).where(and(eq(memberships.orgId, orgId), eq(memberships.id, id)));
}

/** Members holding any of these roles; used to keep at least one owner. */
export async function countMembersWithRoles(tx: Tx, orgId: string, roleIds: string[]): Promise<number> {
  if (roleIds.length === 0) return 0;
  const [row] = await tx
    .select({ n: count() })
    .from(memberships)
    .where(and(eq(memberships.orgId, orgId), inArray(memberships.roleId, roleIds)));
  return row?.n ?? 0;
}

/** Who can be named in an org: its roles, API keys, memberships, and users (while they are members). */
export type NamedKind = 'role' | 'api_key' | 'member' | 'user';

type NameRows = Promise<Array<{ id: string; name: string | null }>>;

const NAME_LOOKUPS: Record<NamedKind, (tx: Tx, orgId: string, ids: string[]) => NameRows> = {
  role: (tx, orgId, ids) =>
    tx
      .select({ id: roles.id, name: roles.name })
      .from(roles)
      .where(and(eq(roles.orgId, orgId), inArray(roles.id, ids))),
  api_key: (tx, orgId, ids) =>
    tx
      .select({ id: apiKeys.id, name: apiKeys.name })
      .from(apiKeys)
      .where(and(eq(apiKeys.orgId, orgId), inArray(apiKeys.id, ids))),
  member: (tx, orgId, ids) =>
    tx
      .select({ id: memberships.id, name: users.name })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(memberships.orgId, orgId), inArray(memberships.id, ids))),
  // Only people who are (still) members of this org are named.
  user: (tx, orgId, ids) =>
    tx
      .select({ id: users.id, name: users.name })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(memberships.orgId, orgId), inArray(users.id, ids))),
};

/** The current name of each id of this kind that exists in the org. */
export async function namesOf(
  tx: Tx,
  orgId: string,
  kind: NamedKind,
  ids: string[],
): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await NAME_LOOKUPS[kind](tx, orgId, [...new Set(ids)]);
  return new Map(rows.flatMap((r) => (r.name ? [[r.id, r.name] as const] : [])));
}

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

/** Names of orgs by id. */
export async function orgNames(tx: Tx, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await tx
    .select({ id: orgs.id, name: orgs.name })
    .from(orgs)
    .where(inArray(orgs.id, [...new Set(ids)]));
  return new Map(rows.map((r) => [r.id, r.name]));
}
