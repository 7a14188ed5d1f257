import type { Db } from '../platform/db/index.ts';
import * as store from './store.ts';
import * as tokens from './token-store.ts';

/**
 * What other domains may ask of identity without its tables: the names of an org's people, roles and
 * keys (the activity feed), and platform-wide facts (the control room).
 */
export function createDirectory(db: Db) {
  return {
    /** The current name of each id of this kind that exists in the org (others are left out). */
    namesOf: (orgId: string, kind: store.NamedKind, ids: string[]) => store.namesOf(db, orgId, kind, ids),
    /**
     * A user's membership of an org with its role, or undefined when they are not (or no longer) a
     * member: what per-resource rules naming members or roles need (the files domain). Read each time,
     * so a changed role counts from the next request on.
     */
    memberOf: async (orgId: string, userId: string): Promise<Membership | undefined> => {
      const m = await store.findMembershipOfUser(db, userId, orgId);
      return m && { id: m.id, role: { id: m.role.id, name: m.role.name, builtin: m.role.builtin } };
    },
    /** Names of orgs by id (the operator's control room). */
    orgNames: (ids: string[]) => store.orgNames(db, ids),
    countOrgs: () => store.countOrgs(db),
    countUsers: () => store.countUsers(db),
    /** Members of the org (seats, for billing). */
    countMembers: (orgId: string) => store.countMembers(db, orgId),
    /** The org a person joined first, by email (the start-up admin's org). */
    firstOrgOfEmail: (email: string) => store.firstOrgOfEmail(db, email),
    oldestOrg: () => store.oldestOrg(db),
    /** API keys the org ever created, revoked ones included. */
    countApiKeys: (orgId: string) => tokens.countApiKeys(db, orgId),
    /** Whether the member put the dashboard's getting-started list away. */
    gettingStartedDismissed: async (orgId: string, userId: string) =>
      (await store.findMembershipOfUser(db, userId, orgId))?.gettingStartedDismissedAt != null,
    setGettingStartedDismissed: (orgId: string, userId: string, dismissed: boolean) =>
      store.setGettingStartedDismissed(db, orgId, userId, dismissed ? new Date() : null),
  };
}

/**
 * The org that operates the server (control room, restart, billing plans): OPERATOR_ORG_ID, else the
 * start-up admin's org, else the oldest org. Found once, then remembered.
 */
export function operatorOrgOf(
  directory: Pick<Directory, 'firstOrgOfEmail' | 'oldestOrg'>,
  settings: { operatorOrgId: string | undefined; adminEmail: string | undefined },
): () => Promise<string | undefined> {
  let known: string | undefined;
  return async () => {
    known ??=
      settings.operatorOrgId ??
      (settings.adminEmail
        ? await directory.firstOrgOfEmail(settings.adminEmail.trim().toLowerCase())
        : undefined) ??
      (await directory.oldestOrg());
    return known;
  };
}

/** A membership as other domains see it: its id (`GET /members`) and the member's role. */
export interface Membership {
  id: string;
  role: { id: string; name: string; builtin: boolean };
}

export type Directory = ReturnType<typeof createDirectory>;
