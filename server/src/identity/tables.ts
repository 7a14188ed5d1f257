import { boolean, index, integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt, ts } from '../platform/db/columns.ts';

export const orgs = pgTable('orgs', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: createdAt(),
});

export const users = pgTable(
  'users',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull(),
    name: text('name').notNull(),
    passwordHash: text('password_hash').notNull(),
    failedLogins: integer('failed_logins').notNull().default(0),
    lockedUntil: ts('locked_until'),
    /** Access tokens issued before this instant are refused in every org (password changed, sessions ended). */
    sessionsValidAfter: ts('sessions_valid_after'),
    /** When the person proved the address is theirs (a verification, reset or invitation link). */
    emailVerifiedAt: ts('email_verified_at'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('users_email_key').on(t.email)],
);

/** Roles belong to an org; the four built-in ones are created with every org and cannot change. */
export const roles = pgTable(
  'roles',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    permissions: jsonb('permissions').$type<string[]>().notNull(),
    builtin: boolean('builtin').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('roles_org_name_key').on(t.orgId, t.name)],
);

export const memberships = pgTable(
  'memberships',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    roleId: text('role_id')
      .notNull()
      .references(() => roles.id),
    /** Access tokens for this org issued before this instant are refused (role or its permissions changed). */
    sessionsValidAfter: ts('sessions_valid_after'),
    /** The member put the dashboard's getting-started list away (per person and org). */
    gettingStartedDismissedAt: ts('getting_started_dismissed_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('memberships_org_user_key').on(t.orgId, t.userId),
    index('memberships_user_idx').on(t.userId),
  ],
);

/** Opaque refresh tokens, stored only as SHA-256 hashes; a family is one login's chain of rotations. */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: text('id').primaryKey(),
    familyId: text('family_id').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    expiresAt: ts('expires_at').notNull(),
    usedAt: ts('used_at'),
    revokedAt: ts('revoked_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('refresh_tokens_hash_key').on(t.tokenHash),
    index('refresh_tokens_family_idx').on(t.familyId),
  ],
);

export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    prefix: text('prefix').notNull(),
    keyHash: text('key_hash').notNull(),
    scopes: jsonb('scopes').$type<string[]>().notNull(),
    createdBy: text('created_by').notNull(),
    expiresAt: ts('expires_at'),
    lastUsedAt: ts('last_used_at'),
    revokedAt: ts('revoked_at'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('api_keys_hash_key').on(t.keyHash), index('api_keys_org_idx').on(t.orgId)],
);

/** Token signing keys; private halves encrypted with a key derived from SWITCHBOARD_SECRET. */
export const signingKeys = pgTable('signing_keys', {
  kid: text('kid').primaryKey(),
  publicJwk: jsonb('public_jwk').$type<Record<string, string>>().notNull(),
  privateKeyEnc: text('private_key_enc').notNull(),
  createdAt: createdAt(),
  /** Set when a newer key takes over; the key stays published until its last tokens expire. */
  retiredAt: ts('retired_at'),
});

export const loginEvents = pgTable(
  'login_events',
  {
    id: text('id').primaryKey(),
    kind: text('kind').$type<'success' | 'failure' | 'lockout'>().notNull(),
    email: text('email').notNull(),
    userId: text('user_id'),
    orgId: text('org_id'),
    ip: text('ip').notNull(),
    userAgent: text('user_agent'),
    reason: text('reason'),
    createdAt: createdAt(),
  },
  (t) => [
    index('login_events_ip_idx').on(t.ip, t.createdAt),
    index('login_events_user_idx').on(t.userId, t.createdAt),
  ],
);

/**
 * Single-use links mailed to a person: password resets, email verification and invitations. Only the
 * SHA-256 of the token is kept; an invitation also names the org it joins.
 */
export const userTokens = pgTable(
  'user_tokens',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    purpose: text('purpose').$type<'password_reset' | 'email_verification' | 'invitation'>().notNull(),
    orgId: text('org_id').references(() => orgs.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    expiresAt: ts('expires_at').notNull(),
    usedAt: ts('used_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('user_tokens_hash_key').on(t.tokenHash),
    index('user_tokens_user_idx').on(t.userId, t.purpose),
  ],
);
