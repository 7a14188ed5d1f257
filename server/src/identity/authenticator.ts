import { errors as joseErrors } from 'jose';
import type { Authenticator, Principal } from '../platform/auth.ts';
import { sha256 } from '../platform/crypto.ts';
import type { Db } from '../platform/db/index.ts';
import { AppError } from '../platform/errors.ts';
import type { Keyring } from './keyring.ts';
import { findApiKeyByHash, touchApiKey } from './token-store.ts';

export const API_KEY_PREFIX = 'sbk_';
/** last_used_at is written at most this often per key, so a busy key does not write on every request. */
const TOUCH_EVERY_MS = 60_000;

/** Resolves an access token (EdDSA JWT) or an API key to the principal it stands for. */
export function createAuthenticator(db: Db, keyring: Keyring): Authenticator {
  return async (credential) => {
    if (credential.startsWith(API_KEY_PREFIX)) return apiKeyPrincipal(db, credential);
    try {
      const claims = await keyring.verify(credential);
      return {
        kind: 'user',
        id: claims.sub,
        userId: claims.sub,
        orgId: claims.org,
        scopes: new Set(claims.scope.split(' ').filter(Boolean)),
        expiresAt: claims.exp ?? null,
      } satisfies Principal;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) {
        throw new AppError(401, 'token_expired', 'the access token has expired; refresh it');
      }
      throw new AppError(401, 'invalid_token', 'the access token is not valid');
    }
  };
}

async function apiKeyPrincipal(db: Db, credential: string): Promise<Principal> {
  const key = await findApiKeyByHash(db, sha256(credential));
  const now = Date.now();
  if (!key || key.revokedAt || (key.expiresAt && key.expiresAt.getTime() <= now)) {
    throw new AppError(401, 'invalid_api_key', 'the API key is not valid, revoked or expired');
  }
  if (!key.lastUsedAt || now - key.lastUsedAt.getTime() > TOUCH_EVERY_MS) {
    await touchApiKey(db, key.id, new Date(now));
  }
  return {
    kind: 'api_key',
    id: key.id,
    userId: null,
    orgId: key.orgId,
    scopes: new Set(key.scopes),
    expiresAt: key.expiresAt ? Math.floor(key.expiresAt.getTime() / 1000) : null,
  };
}
