import { errors as joseErrors } from 'jose';
import type { Authenticator, Principal } from '../platform/auth.ts';
import type { Bus } from '../platform/bus.ts';
import { sha256 } from '../platform/crypto.ts';
import type { Db } from '../platform/db/index.ts';
import { createOrgCache, type OrgCache } from '../platform/org-cache.ts';
import { IdentityErrors } from './errors.ts';
import type { AccessClaims, Keyring } from './keyring.ts';
import type { SessionGuard } from './sessions.ts';
import { findApiKeyByHash, touchApiKey } from './token-store.ts';

export const API_KEY_PREFIX = 'sbk_';
/** last_used_at is written at most this often per key, so a busy key does not write on every request. */
const TOUCH_EVERY_MS = 60_000;

/** A valid API key as the authenticator keeps it between requests. */
interface KnownKey {
  principal: Principal;
  expiresAtMs: number | null;
  /** When last_used_at was last written (or read), so a busy key writes it once a minute at most. */
  usedAtMs: number;
}

export type ApiKeyCache = OrgCache<KnownKey>;

/**
 * Valid API keys by hash, so a key used for every call of an OpenAI client costs no query after its
 * first. Revoking a key invalidates its org's entries on every replica (access-service.ts).
 */
export const createApiKeyCache = (bus: Bus): ApiKeyCache =>
  createOrgCache<KnownKey>({ name: 'api-keys', bus, orgIdOf: (k) => k.principal.orgId });

/** Resolves an access token (EdDSA JWT) or an API key to the principal it stands for. */
export function createAuthenticator(
  db: Db,
  keyring: Keyring,
  apiKeys: ApiKeyCache,
  sessions: SessionGuard,
): Authenticator {
  return async (credential) => {
    if (credential.startsWith(API_KEY_PREFIX)) return apiKeyPrincipal(db, apiKeys, credential);
    const claims = await verified(keyring, credential);
    // Revocation: a cached check (no query once warm) against the user's and membership's marks.
    await sessions.assertCurrent(claims.sub, claims.org, Math.round((claims.iat ?? 0) * 1000));
    return {
      kind: 'user',
      id: claims.sub,
      userId: claims.sub,
      orgId: claims.org,
      scopes: new Set(claims.scope.split(' ').filter(Boolean)),
      expiresAt: claims.exp ?? null,
    } satisfies Principal;
  };
}

async function verified(keyring: Keyring, credential: string): Promise<AccessClaims> {
  try {
    return await keyring.verify(credential);
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) {
      throw IdentityErrors.tokenExpired();
    }
    throw IdentityErrors.invalidToken();
  }
}

async function loadKey(db: Db, hash: string): Promise<KnownKey | undefined> {
  const key = await findApiKeyByHash(db, hash);
  if (!key || key.revokedAt) return undefined;
  return {
    principal: {
      kind: 'api_key',
      id: key.id,
      userId: null,
      orgId: key.orgId,
      scopes: new Set(key.scopes),
      expiresAt: key.expiresAt ? Math.floor(key.expiresAt.getTime() / 1000) : null,
    },
    expiresAtMs: key.expiresAt?.getTime() ?? null,
    usedAtMs: key.lastUsedAt?.getTime() ?? 0,
  };
}

async function apiKeyPrincipal(db: Db, apiKeys: ApiKeyCache, credential: string): Promise<Principal> {
  const key = await apiKeys.get(sha256(credential), (hash) => loadKey(db, hash));
  const now = Date.now();
  if (!key || (key.expiresAtMs !== null && key.expiresAtMs <= now)) {
    throw IdentityErrors.invalidApiKey();
  }
  if (now - key.usedAtMs > TOUCH_EVERY_MS) {
    key.usedAtMs = now;
    await touchApiKey(db, key.principal.id, new Date(now));
  }
  return key.principal;
}
