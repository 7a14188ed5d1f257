import type { FastifyBaseLogger } from 'fastify';
import { recordAudit } from '../audit/service.ts';
import type { Principal } from '../platform/auth.ts';
import { sha256 } from '../platform/crypto.ts';
import type { Db, Tx } from '../platform/db/index.ts';
import { Errors } from '../platform/errors.ts';
import type { RequestMeta } from '../platform/http.ts';
import { newId, randomToken } from '../platform/ids.ts';
import type { ApiKeyCache } from './authenticator.ts';
import { IdentityErrors } from './errors.ts';
import type { Keyring } from './keyring.ts';
import { type PasswordHasher, passwordProblems } from './passwords.ts';
import { BUILTIN_ROLES } from './permissions.ts';
import { presentOrg, presentUser } from './present.ts';
import type { SessionGuard } from './sessions.ts';
import * as store from './store.ts';
import * as tokens from './token-store.ts';

export interface IdentityDeps {
  db: Db;
  hasher: PasswordHasher;
  keyring: Keyring;
  log: FastifyBaseLogger;
  /** Valid API keys the authenticator keeps; a revoked key is dropped from it. */
  apiKeys: ApiKeyCache;
  /** Instant revocation of access tokens: marks, the per-replica cache and the bus message. */
  sessions: SessionGuard;
  /**
   * Refuses (throws) when one more member would pass a limit, such as the org's plan (billing answers);
   * `count` reads the members there are now in the same transaction.
   */
  seatGuard?: ((tx: Tx, orgId: string, count: () => Promise<number>) => Promise<void>) | undefined;
  /** Told once a new org has committed (billing gives it the default plan's budget); failures are logged. */
  orgCreated?: ((orgId: string) => Promise<void>) | undefined;
  /** Told once a self-registered account has committed (identity mails its verification link). */
  registered?: ((userId: string) => Promise<void>) | undefined;
  settings: {
    accessTokenTtlSeconds: number;
    refreshTokenTtlSeconds: number;
    lockout: { maxFailures: number; ipMaxFailures: number };
  };
}

const IP_WINDOW_MS = 15 * 60_000;
const LOCK_BASE_MS = 30_000;
const LOCK_MAX_MS = 60 * 60_000;

export const normaliseEmail = (email: string) => email.trim().toLowerCase();

export function assertStrongPassword(password: string, email: string): void {
  const problems = passwordProblems(password, email);
  if (problems.length) {
    throw IdentityErrors.weakPassword(problems);
  }
}

/** Creates an org with its built-in roles; returns the org and the owner role id. */
export async function createOrgWithRoles(tx: Tx, name: string) {
  const org = await store.insertOrg(tx, { id: newId('org'), name });
  const rows = BUILTIN_ROLES.map((r) => ({
    id: newId('role'),
    orgId: org.id,
    name: r.name,
    description: r.description,
    permissions: [...r.permissions],
    builtin: true,
  }));
  await store.insertRoles(tx, rows);
  return { org, ownerRoleId: rows[0]!.id };
}

/** Sign-up, sign-in, token refresh and sign-out. */
export function createAuthService(deps: IdentityDeps) {
  const { db, hasher, keyring, settings } = deps;

  async function orgCreated(orgId: string): Promise<void> {
    try {
      await deps.orgCreated?.(orgId);
    } catch (err) {
      deps.log.error({ err, orgId }, 'identity: a new org was not set up by every domain');
    }
  }

  async function issuePair(tx: Tx, userId: string, orgId: string, familyId = newId('fam')) {
    const member = await store.findMembershipOfUser(tx, userId, orgId);
    const [user, org] = await Promise.all([store.findUser(tx, userId), store.findOrg(tx, orgId)]);
    if (!member || !user || !org) throw IdentityErrors.membershipEnded();
    const refreshToken = `rt_${randomToken(32)}`;
    await tokens.insertRefreshToken(tx, {
      id: newId('rtk'),
      familyId,
      userId,
      orgId,
      tokenHash: sha256(refreshToken),
      expiresAt: new Date(Date.now() + settings.refreshTokenTtlSeconds * 1000),
    });
    const accessToken = await keyring.sign({
      sub: userId,
      org: orgId,
      scope: member.role.permissions.join(' '),
    });
    return {
      accessToken,
      refreshToken,
      tokenType: 'Bearer' as const,
      expiresIn: settings.accessTokenTtlSeconds,
      user: presentUser(user),
      org: presentOrg(org),
    };
  }

  async function loginEvent(
    kind: 'success' | 'failure' | 'lockout',
    email: string,
    meta: RequestMeta,
    user?: { id: string; orgId?: string },
    reason?: string,
  ) {
    await tokens.insertLoginEvent(db, {
      id: newId('lev'),
      kind,
      email,
      userId: user?.id ?? null,
      orgId: user?.orgId ?? null,
      ip: meta.ip,
      userAgent: meta.userAgent,
      reason: reason ?? null,
    });
    await recordAudit(db, {
      action: `auth.login.${kind}`,
      orgId: user?.orgId ?? null,
      actor: user ? { kind: 'user', id: user.id } : { kind: 'anonymous', id: null },
      outcome: kind === 'success' ? 'success' : 'failure',
      details: { email, ...(reason ? { reason } : {}) },
      meta,
    });
  }

  /** Ends every session of the user in every org: refresh tokens revoked, access tokens refused. */
  async function endSessionsIn(tx: Tx, userId: string): Promise<void> {
    await deps.sessions.endUserSessions(tx, userId);
  }

  return {
    /**
     * Ends every session of a user (a password was changed or reset): call inside the transaction that
     * makes the change, then `sessionsEnded(userId)` once it has committed, which closes their sockets.
     */
    endSessionsIn,
    sessionsEnded: (userId: string) =>
      deps.sessions.revoked({ orgId: null, userIds: [userId], principalIds: [], revoked: true }),

    async register(
      input: { email: string; password: string; name: string; orgName?: string | undefined },
      meta: RequestMeta,
    ) {
      const email = normaliseEmail(input.email);
      assertStrongPassword(input.password, email);
      if (await store.findUserByEmail(db, email)) {
        throw IdentityErrors.emailTaken(email);
      }
      const passwordHash = await hasher.hash(input.password);
      let orgId: string | undefined;
      let userId: string | undefined;
      const pair = await db.transaction(async (tx) => {
        const { org, ownerRoleId } = await createOrgWithRoles(
          tx,
          input.orgName?.trim() || `${input.name}'s team`,
        );
        orgId = org.id;
        const user = await store.insertUser(tx, {
          id: newId('usr'),
          email,
          name: input.name.trim(),
          passwordHash,
        });
        userId = user.id;
        await store.insertMembership(tx, {
          id: newId('mem'),
          orgId: org.id,
          userId: user.id,
          roleId: ownerRoleId,
        });
        await recordAudit(tx, {
          action: 'auth.register',
          orgId: org.id,
          actor: { kind: 'user', id: user.id },
          resource: { type: 'user', id: user.id },
          outcome: 'success',
          meta,
        });
        return issuePair(tx, user.id, org.id);
      });
      await orgCreated(orgId!);
      try {
        await deps.registered?.(userId!);
      } catch (err) {
        deps.log.error({ err, userId }, 'identity: the verification mail of a new account was not prepared');
      }
      return pair;
    },

    async login(input: { email: string; password: string; orgId?: string | undefined }, meta: RequestMeta) {
      const email = normaliseEmail(input.email);
      const ipFailures = await tokens.countFailuresFromIp(db, meta.ip, new Date(Date.now() - IP_WINDOW_MS));
      if (ipFailures >= settings.lockout.ipMaxFailures) {
        await loginEvent('lockout', email, meta, undefined, 'ip');
        throw IdentityErrors.addressLocked(IP_WINDOW_MS / 1000);
      }
      const user = await store.findUserByEmail(db, email);
      if (!user) {
        await hasher.verifyDecoy(input.password);
        await loginEvent('failure', email, meta, undefined, 'unknown_email');
        throw IdentityErrors.invalidCredentials();
      }
      if (user.lockedUntil && user.lockedUntil.getTime() > Date.now()) {
        const seconds = Math.ceil((user.lockedUntil.getTime() - Date.now()) / 1000);
        await loginEvent('lockout', email, meta, { id: user.id }, 'account');
        throw IdentityErrors.accountLocked(seconds);
      }
      if (!(await hasher.verify(user.passwordHash, input.password))) {
        const failures = user.failedLogins + 1;
        const over = failures - settings.lockout.maxFailures;
        const lockedUntil =
          over >= 0 ? new Date(Date.now() + Math.min(LOCK_BASE_MS * 2 ** over, LOCK_MAX_MS)) : null;
        await store.updateUserLoginState(db, user.id, { failedLogins: failures, lockedUntil });
        await loginEvent('failure', email, meta, { id: user.id }, 'wrong_password');
        if (lockedUntil) await loginEvent('lockout', email, meta, { id: user.id }, 'account');
        throw IdentityErrors.invalidCredentials();
      }
      const member = await store.findMembershipOfUser(db, user.id, input.orgId);
      if (!member) {
        throw IdentityErrors.notAMember();
      }
      await store.updateUserLoginState(db, user.id, { failedLogins: 0, lockedUntil: null });
      await loginEvent('success', email, meta, { id: user.id, orgId: member.orgId });
      return db.transaction((tx) => issuePair(tx, user.id, member.orgId));
    },

    /** Rotates a refresh token. Presenting a spent one means it leaked: the whole family is revoked. */
    async refresh(refreshToken: string | undefined, meta: RequestMeta) {
      if (!refreshToken) throw IdentityErrors.missingRefreshToken();
      const record = await tokens.findRefreshToken(db, sha256(refreshToken));
      if (!record || record.revokedAt) {
        throw IdentityErrors.invalidRefreshToken('not valid');
      }
      if (record.expiresAt.getTime() <= Date.now()) {
        throw IdentityErrors.invalidRefreshToken('has expired');
      }
      const rotated = await db.transaction(async (tx) => {
        if (record.usedAt || !(await tokens.spendRefreshToken(tx, record.id))) return null;
        return issuePair(tx, record.userId, record.orgId, record.familyId);
      });
      if (rotated) return rotated;
      await tokens.revokeRefreshFamily(db, record.familyId);
      await recordAudit(db, {
        action: 'auth.refresh_token_reused',
        orgId: record.orgId,
        actor: { kind: 'user', id: record.userId },
        resource: { type: 'refresh_token_family', id: record.familyId },
        outcome: 'failure',
        meta,
      });
      throw IdentityErrors.refreshTokenReused();
    },

    /** Ends the session of the given refresh token, or every session of the caller in this org. */
    async logout(principal: Principal, refreshToken: string | undefined, meta: RequestMeta) {
      if (!principal.userId)
        throw Errors.badRequest('API keys have no session to sign out of; revoke the key instead');
      const userId = principal.userId;
      const record = refreshToken ? await tokens.findRefreshToken(db, sha256(refreshToken)) : undefined;
      if (record && record.userId === userId && record.orgId === principal.orgId) {
        await tokens.revokeRefreshFamily(db, record.familyId);
      } else {
        await tokens.revokeRefreshTokensOfUser(db, userId, principal.orgId);
      }
      await recordAudit(db, {
        action: 'auth.logout',
        orgId: principal.orgId,
        actor: { kind: 'user', id: userId },
        outcome: 'success',
        meta,
      });
    },

    async me(principal: Principal) {
      const org = await store.findOrg(db, principal.orgId);
      if (!org) throw Errors.unauthorized('your organisation no longer exists');
      const permissions = [...principal.scopes].sort();
      if (!principal.userId) {
        const key = await tokens.findApiKey(db, principal.orgId, principal.id);
        return {
          user: null,
          apiKey: key ? { id: key.id, name: key.name } : null,
          org: presentOrg(org),
          role: null,
          permissions,
        };
      }
      const member = await store.findMembershipOfUser(db, principal.userId, principal.orgId);
      const user = await store.findUser(db, principal.userId);
      if (!member || !user) throw IdentityErrors.membershipEnded();
      return {
        user: presentUser(user),
        apiKey: null,
        org: presentOrg(org),
        role: { id: member.role.id, name: member.role.name },
        permissions,
      };
    },

    /**
     * Makes sure an owner account exists (start-up admin and `switchboard create-admin`).
     * Idempotent: an existing user keeps their org; `resetPassword` updates the password.
     */
    async ensureOwner(input: {
      email: string;
      password: string;
      name?: string;
      orgName?: string;
      resetPassword?: boolean;
    }) {
      const email = normaliseEmail(input.email);
      assertStrongPassword(input.password, email);
      const existing = await store.findUserByEmail(db, email);
      if (existing) {
        if (input.resetPassword) {
          const passwordHash = await hasher.hash(input.password);
          await db.transaction(async (tx) => {
            await store.updateUserPassword(tx, existing.id, passwordHash);
            await endSessionsIn(tx, existing.id);
          });
          await deps.sessions.revoked({
            orgId: null,
            userIds: [existing.id],
            principalIds: [],
            revoked: true,
          });
        }
        return { created: false, userId: existing.id };
      }
      const passwordHash = await hasher.hash(input.password);
      let orgId: string | undefined;
      const created = await db.transaction(async (tx) => {
        const { org, ownerRoleId } = await createOrgWithRoles(tx, input.orgName ?? 'Switchboard');
        orgId = org.id;
        const user = await store.insertUser(tx, {
          id: newId('usr'),
          email,
          name: input.name ?? 'Admin',
          passwordHash,
        });
        // The operator named this address themselves (environment or CLI): nothing to verify.
        await store.markEmailVerified(tx, user.id, new Date());
        await store.insertMembership(tx, {
          id: newId('mem'),
          orgId: org.id,
          userId: user.id,
          roleId: ownerRoleId,
        });
        await recordAudit(tx, {
          action: 'auth.admin_created',
          orgId: org.id,
          actor: { kind: 'system', id: null },
          resource: { type: 'user', id: user.id },
          outcome: 'success',
          meta: null,
        });
        return { created: true, userId: user.id };
      });
      await orgCreated(orgId!);
      return created;
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
