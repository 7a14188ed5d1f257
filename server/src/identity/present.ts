import type { MemberRecord, OrgRecord, RoleRecord, UserRecord } from './store.ts';
import type { ApiKeyRecord } from './token-store.ts';

export const presentUser = (
  u: Pick<UserRecord, 'id' | 'email' | 'name' | 'emailVerifiedAt' | 'createdAt'>,
) => ({
  id: u.id,
  email: u.email,
  name: u.name,
  emailVerified: u.emailVerifiedAt !== null,
  createdAt: u.createdAt.toISOString(),
});

export const presentOrg = (o: OrgRecord) => ({
  id: o.id,
  name: o.name,
  createdAt: o.createdAt.toISOString(),
});

export const presentRole = (r: RoleRecord) => ({
  id: r.id,
  name: r.name,
  description: r.description,
  permissions: [...r.permissions].sort(),
  builtin: r.builtin,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

export const presentMember = (m: MemberRecord) => ({
  id: m.id,
  userId: m.userId,
  email: m.email,
  name: m.name,
  emailVerified: m.emailVerifiedAt !== null,
  role: { id: m.role.id, name: m.role.name },
  permissions: [...m.role.permissions].sort(),
  createdAt: m.createdAt.toISOString(),
});

export const presentApiKey = (k: ApiKeyRecord) => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  scopes: [...k.scopes].sort(),
  createdBy: k.createdBy,
  expiresAt: k.expiresAt?.toISOString() ?? null,
  lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
  revokedAt: k.revokedAt?.toISOString() ?? null,
  createdAt: k.createdAt.toISOString(),
});
