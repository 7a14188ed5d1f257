import type { FastifyBaseLogger } from 'fastify';
import type { Bus } from '../platform/bus.ts';
import type { Config } from '../platform/config.ts';
import type { Db } from '../platform/db/index.ts';
import type { Mailer } from '../platform/mail.ts';
import { createAccessService } from './access-service.ts';
import { createAuthService, type IdentityDeps } from './auth-service.ts';
import { createApiKeyCache, createAuthenticator } from './authenticator.ts';
import { createDirectory } from './directory.ts';
import { createKeyring } from './keyring.ts';
import { createLinksService } from './links-service.ts';
import { createPasswordHasher } from './passwords.ts';
import { createSessionGuard } from './sessions.ts';

/** Wires the identity domain: keys, password hashing, and its services. Call `start()` before use. */
export function createIdentity(
  db: Db,
  bus: Bus,
  config: Config,
  log: FastifyBaseLogger,
  mailer: Mailer,
  ports: Pick<IdentityDeps, 'seatGuard' | 'orgCreated'> = {},
) {
  const keyring = createKeyring(db, config);
  const apiKeys = createApiKeyCache(bus);
  const sessions = createSessionGuard(db, bus);
  const hasher = createPasswordHasher(config.secret);
  const links = createLinksService({ db, hasher, mailer, log, sessions, publicUrl: config.publicUrl });
  const deps: IdentityDeps = {
    db,
    hasher,
    keyring,
    log,
    apiKeys,
    sessions,
    seatGuard: ports.seatGuard,
    orgCreated: ports.orgCreated,
    registered: (userId) => links.sendVerification(userId),
    settings: {
      accessTokenTtlSeconds: config.accessTokenTtlSeconds,
      refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
      lockout: config.lockout,
    },
  };
  return {
    keyring,
    auth: createAuthService(deps),
    access: createAccessService(deps, links),
    links,
    directory: createDirectory(db),
    sessions,
    authenticate: createAuthenticator(db, keyring, apiKeys, sessions),
    start: () => keyring.start(),
    stop: () => {
      keyring.stop();
      apiKeys.close();
      sessions.close();
    },
  };
}

export type Identity = ReturnType<typeof createIdentity>;
