import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import type { Domains } from './domains.ts';
import type { Config } from './platform/config.ts';
import { type AppContext, createContext } from './platform/context.ts';

export interface RunningServer {
  app: FastifyInstance;
  domains: Domains;
  ctx: AppContext;
  url: string;
  /** Stops accepting, lets in-flight requests finish, then closes the database. */
  stop(): Promise<void>;
}

/** Opens storage, migrates, builds the app and listens. */
export async function startServer(config: Config): Promise<RunningServer> {
  const ctx = await createContext(config);
  let app: FastifyInstance;
  let domains: Domains;
  try {
    ({ app, domains } = await buildApp(ctx));
    if (config.admin) {
      const result = await domains.identity.auth.ensureOwner(config.admin);
      if (result.created) app.log.info({ userId: result.userId }, 'created the start-up admin');
    }
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    await ctx.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  let stopping: Promise<void> | undefined;
  return {
    app,
    domains,
    ctx,
    url: `http://${config.host}:${port}`,
    stop() {
      stopping ??= (async () => {
        await app.close();
        await ctx.close();
      })();
      return stopping;
    },
  };
}

/** Stops the server on SIGTERM/SIGINT; a second signal, or the timeout, forces the exit. */
export function handleSignals(server: RunningServer, timeoutMs: number): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(1);
    signalled = true;
    server.app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      server.app.log.error('shutdown timed out; exiting');
      process.exit(1);
    }, timeoutMs);
    force.unref();
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        server.app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
