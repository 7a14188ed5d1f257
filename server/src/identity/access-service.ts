import { auditChange } from '../audit/service.ts';
import type { Principal } from '../platform/auth.ts';
import { sha256 } from '../platform/crypto.ts';
import type { Tx } from '../platform/db/index.ts';
import { Errors } from '../platform/errors.ts';
import type { RequestMeta } from '../platform/http.ts';
import { newId, randomToken } from '../platform/ids.ts';
import { decodeCursor, type PageQuery, toPage } from '../platform/pagination.ts';
import { assertStrongPassword, type IdentityDeps, normaliseEmail } from './auth-service.ts';
import { API_KEY_PREFIX } from './authenticator.ts';
import { IdentityErrors } from './errors.ts';
import type { LinksService } from './links-service.ts';
import { isPermission } from './permissions.ts';
import { presentApiKey, presentMember, presentRole } from './present.ts';
import * as store from './store.ts';
import * as tokens from './token-store.ts';

/** Nobody grants what they do not hold: a custom role, a member's role or an API key's scopes. */
function assertCanGrant(principal: Principal, permissions: string[], what: string): void {
  const unknown = permissions.filter((p) => !isPermission(p));
  if (unknown.length) {
    throw Errors.validation(`unknown permission ${unknown.join(', ')}; see GET /api/v1/permissions`, {
      unknown,
    });
  }
  const missing = permissions.filter((p) => !principal.scopes.has(p));
  if (missing.length) {
    throw IdentityErrors.permissionEscalation(what, missing);
  }
}

/** Members, roles and API keys of an org. */
export function createAccessService(deps: IdentityDeps, links?: LinksService) {
  const { db, hasher } = deps;

  const audit = (
    tx: Tx,
    p: Principal,
    action: string,
    resource: { type: string; id: string },
    meta: RequestMeta,
    details?: Record<string, unknown>,
  ) => auditChange(tx, p, action, resource, meta, details);

  async function ownerRoleIds(tx: Tx, orgId: string): Promise<string[]> {
    return (await store.listRoles(tx, orgId)).filter((r) => r.builtin && r.name === 'owner').map((r) => r.id);
  }

  /** Refuses a change that would leave the org without an owner. */
  async function assertKeepsAnOwner(
    tx: Tx,
    orgId: string,
    member: store.MemberRecord,
    newRoleId: string | null,
  ) {
    const owners = await ownerRoleIds(tx, orgId);
    if (!owners.includes(member.role.id) || (newRoleId && owners.includes(newRoleId))) return;
    if ((await store.countMembersWithRoles(tx, orgId, owners)) <= 1) {
      throw IdentityErrors.lastOwner();
    }
  }

  async function roleToGrant(tx: Tx, p: Principal, roleId: string) {
    const role = await store.findRole(tx, p.orgId, roleId);
    if (!role) throw Errors.notFound('role', roleId);
    assertCanGrant(p, role.permissions, `the role "${role.name}" has`);
    return role;
  }

  return {
    // ---- members ----
    async listMembers(p: Principal, page: PageQuery) {
      const rows = await store.listMembers(db, p.orgId, {
        limit: page.limit + 1,
        after: decodeCursor(page.cursor),
      });
      const result = toPage(rows, page.limit);
      return { items: result.items.map(presentMember), nextCursor: result.nextCursor };
    },

    /**
     * Adds a person by email. An existing account joins and is mailed a notice; for a new address an
     * account is made: with the initial password given, or else without a usable one and an invitation
     * mailed to set their own.
     */
    async addMember(
      p: Principal,
      input: { email: string; roleId: string; name?: string | undefined; password?: string | undefined },
      meta: RequestMeta,
    ) {
      const email = normaliseEmail(input.email);
      const role = await roleToGrant(db, p, input.roleId);
      let user = await store.findUserByEmail(db, email);
      let passwordHash: string | undefined;
      if (!user) {
        if (input.password) assertStrongPassword(input.password, email);
        // Invited without a password: a hash of a random secret nobody knows, until the invitation sets one.
        passwordHash = await hasher.hash(input.password ?? randomToken(32));
      }
      const invited = !user && !input.password;
      let mail: (() => void) | undefined;
      const member = await db.transaction(async (tx) => {
        if (!user)
          user = await store.insertUser(tx, {
            id: newId('usr'),
            email,
            name: input.name ?? email.split('@')[0]!,
            passwordHash: passwordHash!,
          });
        if (await store.findMembershipOfUser(tx, user.id, p.orgId)) {
          throw IdentityErrors.alreadyMember(email);
        }
        await deps.seatGuard?.(tx, p.orgId, () => store.countMembers(tx, p.orgId));
        const id = newId('mem');
        await store.insertMembership(tx, { id, orgId: p.orgId, userId: user.id, roleId: role.id });
        await audit(tx, p, 'member.add', { type: 'member', id }, meta, {
          email,
          role: role.name,
          ...(invited ? { invited: true } : {}),
        });
        const mailing = {
          userId: user.id,
          email,
          orgId: p.orgId,
          role: role.name,
          inviterId: p.userId ?? '',
        };
        if (links)
          mail = invited ? await links.invitationFor(tx, mailing) : await links.addedNoticeFor(tx, mailing);
        return presentMember((await store.findMember(tx, p.orgId, id))!);
      });
      mail?.();
      // A replica may remember this person as "not a member" from an earlier try.
      await deps.sessions.revoked({ orgId: p.orgId, userIds: [user!.id], principalIds: [], revoked: false });
      return member;
    },

    async changeMemberRole(p: Principal, id: string, roleId: string, meta: RequestMeta) {
      const { member, revocation } = await db.transaction(async (tx) => {
        const member = await store.findMember(tx, p.orgId, id);
        if (!member) throw Errors.notFound('member', id);
        const role = await roleToGrant(tx, p, roleId);
        // Taking a role away also needs its permissions: a member cannot demote someone above them.
        assertCanGrant(p, member.role.permissions, `the current role "${member.role.name}" has`);
        await assertKeepsAnOwner(tx, p.orgId, member, role.id);
        await store.updateMemberRole(tx, p.orgId, id, role.id);
        // Their tokens carry the old role's permissions: refused from the next request on.
        const revocation = await deps.sessions.markMembers(tx, p.orgId, { memberId: id });
        await audit(tx, p, 'member.role_change', { type: 'member', id }, meta, {
          from: member.role.name,
          to: role.name,
        });
        return { member: presentMember((await store.findMember(tx, p.orgId, id))!), revocation };
      });
      await deps.sessions.revoked(revocation);
      return member;
    },

    async removeMember(p: Principal, id: string, meta: RequestMeta) {
      const userId = await db.transaction(async (tx) => {
        const member = await store.findMember(tx, p.orgId, id);
        if (!member) throw Errors.notFound('member', id);
        assertCanGrant(p, member.role.permissions, `the member's role "${member.role.name}" has`);
        await assertKeepsAnOwner(tx, p.orgId, member, null);
        await store.deleteMember(tx, p.orgId, id);
        await tokens.revokeRefreshTokensOfUser(tx, member.userId, p.orgId);
        await audit(tx, p, 'member.remove', { type: 'member', id }, meta, { email: member.email });
        return member.userId;
      });
      // The membership is gone, so every token of theirs for this org is refused once caches drop it.
      await deps.sessions.revoked({ orgId: p.orgId, userIds: [userId], principalIds: [], revoked: true });
    },

    // ---- roles ----
    async listRoles(p: Principal) {
      return { items: (await store.listRoles(db, p.orgId)).map(presentRole), nextCursor: null };
    },

    async getRole(p: Principal, id: string) {
      const role = await store.findRole(db, p.orgId, id);
      if (!role) throw Errors.notFound('role', id);
      return presentRole(role);
    },

    async createRole(
      p: Principal,
      input: { name: string; description?: string | undefined; permissions: string[] },
      meta: RequestMeta,
    ) {
      const permissions = [...new Set(input.permissions)];
      assertCanGrant(p, permissions, 'a role');
      return db.transaction(async (tx) => {
        if (await store.findRoleByName(tx, p.orgId, input.name)) {
          throw IdentityErrors.roleNameTaken(input.name);
        }
        const id = newId('role');
        await store.insertRoles(tx, [
          {
            id,
            orgId: p.orgId,
            name: input.name,
            description: input.description ?? '',
            permissions,
            builtin: false,
          },
        ]);
        await audit(tx, p, 'role.create', { type: 'role', id }, meta, { permissions });
        return presentRole((await store.findRole(tx, p.orgId, id))!);
      });
    },

    async updateRole(
      p: Principal,
      id: string,
      patch: {
        name?: string | undefined;
        description?: string | undefined;
        permissions?: string[] | undefined;
      },
      meta: RequestMeta,
    ) {
      const { role, revocation } = await db.transaction(async (tx) => {
        const role = await store.findRole(tx, p.orgId, id);
        if (!role) throw Errors.notFound('role', id);
        if (role.builtin) throw IdentityErrors.roleBuiltin(role.name, 'changed');
        const permissions = patch.permissions ? [...new Set(patch.permissions)] : undefined;
        if (permissions) assertCanGrant(p, [...permissions, ...role.permissions], 'a role');
        if (patch.name && patch.name !== role.name && (await store.findRoleByName(tx, p.orgId, patch.name))) {
          throw IdentityErrors.roleNameTaken(patch.name);
        }
        const updated = await store.updateRole(tx, p.orgId, id, {
          ...(patch.name ? { name: patch.name } : {}),
          ...(patch.description !== undefined ? { description: patch.description } : {}),
          ...(permissions ? { permissions } : {}),
        });
        // Holders' tokens carry the old permissions: refused from the next request on.
        const changed =
          permissions !== undefined &&
          (permissions.length !== role.permissions.length ||
            permissions.some((x) => !role.permissions.includes(x)));
        const revocation = changed ? await deps.sessions.markMembers(tx, p.orgId, { roleId: id }) : undefined;
        await audit(tx, p, 'role.update', { type: 'role', id }, meta, {
          from: role.permissions,
          to: updated!.permissions,
        });
        return { role: presentRole(updated!), revocation };
      });
      if (revocation) await deps.sessions.revoked(revocation);
      return role;
    },

    async deleteRole(p: Principal, id: string, meta: RequestMeta) {
      await db.transaction(async (tx) => {
        const role = await store.findRole(tx, p.orgId, id);
        if (!role) throw Errors.notFound('role', id);
        if (role.builtin) throw IdentityErrors.roleBuiltin(role.name, 'deleted');
        const inUse = await store.countMembersWithRole(tx, p.orgId, id);
        if (inUse > 0) {
          throw IdentityErrors.roleInUse(role.name, inUse);
        }
        await store.deleteRole(tx, p.orgId, id);
        await audit(tx, p, 'role.delete', { type: 'role', id }, meta, { name: role.name });
      });
    },

    // ---- API keys ----
    async listApiKeys(p: Principal, page: PageQuery) {
      const rows = await tokens.listApiKeys(db, p.orgId, {
        limit: page.limit + 1,
        after: decodeCursor(page.cursor),
      });
      const result = toPage(rows, page.limit);
      return { items: result.items.map(presentApiKey), nextCursor: result.nextCursor };
    },

    /** Creates a key; the secret is in this answer only, and only its hash is stored. */
    async createApiKey(
      p: Principal,
      input: { name: string; scopes: string[]; expiresAt?: string | undefined },
      meta: RequestMeta,
    ) {
      const scopes = [...new Set(input.scopes)];
      assertCanGrant(p, scopes, 'an API key');
      const expiresAt = input.expiresAt ? new Date(input.expiresAt) : null;
      if (expiresAt && expiresAt.getTime() <= Date.now())
        throw Errors.validation('expiresAt must be in the future');
      const secret = `${API_KEY_PREFIX}${randomToken(32)}`;
      return db.transaction(async (tx) => {
        const key = await tokens.insertApiKey(tx, {
          id: newId('key'),
          orgId: p.orgId,
          name: input.name,
          prefix: secret.slice(0, 12),
          keyHash: sha256(secret),
          scopes,
          createdBy: p.id,
          expiresAt,
        });
        await audit(tx, p, 'api_key.create', { type: 'api_key', id: key.id }, meta, { scopes });
        return { apiKey: presentApiKey(key), key: secret };
      });
    },

    async revokeApiKey(p: Principal, id: string, meta: RequestMeta) {
      await db.transaction(async (tx) => {
        const key = await tokens.findApiKey(tx, p.orgId, id);
        if (!key) throw Errors.notFound('API key', id);
        await tokens.revokeApiKey(tx, p.orgId, id);
        await audit(tx, p, 'api_key.revoke', { type: 'api_key', id }, meta);
      });
      await deps.apiKeys.invalidate(p.orgId);
      // Its open sockets close now rather than at their next heartbeat.
      await deps.sessions.revoked({ orgId: p.orgId, userIds: [], principalIds: [id], revoked: true });
    },
  };
}

export type AccessService = ReturnType<typeof createAccessService>;
