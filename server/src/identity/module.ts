import type { FastifyBaseLogger } from 'fastify';
import type { Bus } from '../platform/bus.ts';
import type { Config } from '../platform/config.ts';
import type { Db } from '../platform/db/index.ts';
import { createAccessService } from './access-service.ts';
import { createAuthService, type IdentityDeps } from './auth-service.ts';
import { createApiKeyCache, createAuthenticator } from './authenticator.ts';
import { createDirectory } from './directory.ts';
import { createKeyring } from './keyring.ts';
import { createPasswordHasher } from './passwords.ts';

/** Wires the identity domain: keys, password hashing, and its services. Call `start()` before use. */
export function createIdentity(
  db: Db,
  bus: Bus,
  config: Config,
  log: FastifyBaseLogger,
  ports: Pick<IdentityDeps, 'seatGuard' | 'orgCreated'> = {},
) {
  const keyring = createKeyring(db, config);
  const apiKeys = createApiKeyCache(bus);
  const deps: IdentityDeps = {
    db,
    hasher: createPasswordHasher(config.secret),
    keyring,
    log,
    apiKeys,
    seatGuard: ports.seatGuard,
    orgCreated: ports.orgCreated,
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
    directory: createDirectory(db),
    authenticate: createAuthenticator(db, keyring, apiKeys),
    start: () => keyring.start(),
    stop: () => {
      keyring.stop();
      apiKeys.close();
    },
  };
}

export type Identity = ReturnType<typeof createIdentity>;
