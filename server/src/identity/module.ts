import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../platform/config.ts';
import type { Db } from '../platform/db/index.ts';
import { createAccessService } from './access-service.ts';
import { createAuthService, type IdentityDeps } from './auth-service.ts';
import { createAuthenticator } from './authenticator.ts';
import { createKeyring } from './keyring.ts';
import { createPasswordHasher } from './passwords.ts';

/** Wires the identity domain: keys, password hashing, and its services. Call `start()` before use. */
export function createIdentity(db: Db, config: Config, log: FastifyBaseLogger) {
  const keyring = createKeyring(db, config);
  const deps: IdentityDeps = {
    db,
    hasher: createPasswordHasher(config.secret),
    keyring,
    log,
    settings: {
      accessTokenTtlSeconds: config.accessTokenTtlSeconds,
      refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
      lockout: config.lockout,
    },
  };
  return {
    keyring,
    auth: createAuthService(deps),
    access: createAccessService(deps),
    authenticate: createAuthenticator(db, keyring),
    start: () => keyring.start(),
    stop: () => keyring.stop(),
  };
}

export type Identity = ReturnType<typeof createIdentity>;
