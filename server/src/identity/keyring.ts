import { createHash } from 'node:crypto';
import {
  exportJWK,
  exportPKCS8,
  generateKeyPair,
  importJWK,
  importPKCS8,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';
import { decrypt, deriveKey, encrypt } from '../platform/crypto.ts';
import type { Db } from '../platform/db/index.ts';
import { newId } from '../platform/ids.ts';
import { insertSigningKey, listLiveSigningKeys, retireSigningKeysExcept } from './token-store.ts';

export const TOKEN_ISSUER = 'switchboard';
export const TOKEN_AUDIENCE = 'switchboard-api';
const ALG = 'EdDSA';
/** How often a replica re-reads keys so a rotation elsewhere reaches it. */
const RELOAD_MS = 60_000;
/** An unknown kid triggers a reload at most this often, so forged kids cannot hammer the database. */
const MISS_RELOAD_MS = 5_000;

type KeyObject = Awaited<ReturnType<typeof importPKCS8>>;

interface LoadedKeys {
  publicKeys: Map<string, { key: KeyObject; jwk: JWK }>;
  signer: { kid: string; key: KeyObject };
  jwksBody: string;
  etag: string;
}

export interface AccessClaims extends JWTPayload {
  sub: string;
  org: string;
  scope: string;
}

/** Verified tokens kept at most (about 0.5 KB each). */
const VERIFIED_MAX = 10_000;

/**
 * Ed25519 signing keys: persisted encrypted, loaded once, rotated by `switchboard keys rotate`.
 * A retired key stays in the JWKS until every token it signed has expired.
 */
export function createKeyring(db: Db, opts: { secret: string; accessTokenTtlSeconds: number }) {
  const sealKey = deriveKey(opts.secret, 'signing-keys');
  let loaded: LoadedKeys | undefined;
  let loadedAt = 0;
  let lastMissReload = 0;
  let timer: NodeJS.Timeout | undefined;
  // Tokens verified already, by their text, oldest first (see verify).
  const verified = new Map<string, { claims: AccessClaims; kid: string; expiresAtMs: number }>();

  async function createKey(): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair(ALG, { crv: 'Ed25519', extractable: true });
    const kid = newId('key');
    const jwk = await exportJWK(publicKey);
    await insertSigningKey(db, {
      kid,
      publicJwk: { ...(jwk as Record<string, string>), kid, alg: ALG, use: 'sig' },
      privateKeyEnc: encrypt(sealKey, await exportPKCS8(privateKey)),
    });
    return kid;
  }

  async function load(): Promise<LoadedKeys> {
    const graceMs = (opts.accessTokenTtlSeconds + 60) * 1000;
    let rows = await listLiveSigningKeys(db, new Date(Date.now() - graceMs));
    if (!rows.some((r) => r.retiredAt === null)) {
      await createKey();
      rows = await listLiveSigningKeys(db, new Date(Date.now() - graceMs));
    }
    const active = rows.find((r) => r.retiredAt === null)!; // newest first
    const publicKeys = new Map<string, { key: KeyObject; jwk: JWK }>();
    for (const row of rows) {
      publicKeys.set(row.kid, {
        key: (await importJWK(row.publicJwk, ALG)) as KeyObject,
        jwk: row.publicJwk,
      });
    }
    const signer = { kid: active.kid, key: await importPKCS8(decrypt(sealKey, active.privateKeyEnc), ALG) };
    const jwksBody = JSON.stringify({ keys: rows.map((r) => r.publicJwk) });
    const etag = `"${createHash('sha256').update(jwksBody).digest('base64url')}"`;
    loadedAt = Date.now();
    return { publicKeys, signer, jwksBody, etag };
  }

  async function current(): Promise<LoadedKeys> {
    if (!loaded || Date.now() - loadedAt > RELOAD_MS) loaded = await load();
    return loaded;
  }

  /** The claims of a token whose signature, algorithm, issuer, audience and expiry hold, and its key's id. */
  async function verifySignature(token: string): Promise<{ claims: AccessClaims; kid: string }> {
    let kid = '';
    const { payload } = await jwtVerify(
      token,
      async (header) => {
        let keys = await current();
        let found = header.kid ? keys.publicKeys.get(header.kid) : undefined;
        if (!found && header.kid && Date.now() - lastMissReload > MISS_RELOAD_MS) {
          lastMissReload = Date.now();
          loaded = keys = await load();
          found = keys.publicKeys.get(header.kid);
        }
        if (!found) throw new Error('unknown signing key');
        kid = header.kid!;
        return found.key;
      },
      { algorithms: [ALG], issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE, requiredClaims: ['sub', 'exp'] },
    );
    if (
      typeof payload.sub !== 'string' ||
      typeof payload.org !== 'string' ||
      typeof payload.scope !== 'string'
    ) {
      throw new Error('token is missing sub, org or scope');
    }
    return { claims: Object.freeze(payload as AccessClaims), kid };
  }

  return {
    /** Loads keys (creating the first one if there is none) and keeps them fresh. */
    async start(): Promise<void> {
      loaded = await load();
      timer = setInterval(() => {
        load().then(
          (k) => {
            loaded = k;
          },
          () => {},
        );
      }, RELOAD_MS);
      timer.unref();
    },
    stop(): void {
      clearInterval(timer);
    },

    async sign(claims: { sub: string; org: string; scope: string; [k: string]: unknown }): Promise<string> {
      const { signer } = await current();
      return (
        new SignJWT(claims)
          .setProtectedHeader({ alg: ALG, kid: signer.kid, typ: 'JWT' })
          .setIssuer(TOKEN_ISSUER)
          .setAudience(TOKEN_AUDIENCE)
          // To the millisecond (a NumericDate may have a fraction): a token issued just after its
          // user's sessions were revoked must not be taken for one issued before (sessions.ts).
          .setIssuedAt(Date.now() / 1000)
          .setJti(newId('jti'))
          .setExpirationTime(`${opts.accessTokenTtlSeconds}s`)
          .sign(signer.key)
      );
    },

    /**
     * Verifies signature, algorithm, issuer, audience and expiry; throws on anything wrong. A token
     * verified before is answered from memory until it expires, while the key that signed it is still
     * live (the signature check is most of an authenticated request's own CPU; revocation is checked
     * apart from this, on every request, in sessions.ts).
     */
    async verify(token: string): Promise<AccessClaims> {
      const known = verified.get(token);
      if (known) {
        if (known.expiresAtMs > Date.now() && (await current()).publicKeys.has(known.kid))
          return known.claims;
        verified.delete(token);
      }
      const { claims, kid } = await verifySignature(token);
      if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value!);
      verified.set(token, { claims, kid, expiresAtMs: claims.exp! * 1000 });
      return claims;
    },

    async jwks(): Promise<{ body: string; etag: string }> {
      const k = await current();
      return { body: k.jwksBody, etag: k.etag };
    },

    /** Makes a new signing key and retires the others; returns the new kid. */
    async rotate(): Promise<string> {
      const kid = await createKey();
      await retireSigningKeysExcept(db, kid);
      loaded = await load();
      return kid;
    },
  };
}

export type Keyring = ReturnType<typeof createKeyring>;
