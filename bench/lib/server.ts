import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp } from '../../server/src/app.ts';
import { loadConfig } from '../../server/src/platform/config.ts';
import { createContext } from '../../server/src/platform/context.ts';
import type { Database } from '../../server/src/platform/db/index.ts';

/** A response's JSON body; anything but 2xx throws with the body, so a bench never measures errors. */
export async function json<T>(res: Response): Promise<T> {
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/**
 * One Switchboard server in this process on 127.0.0.1, on a database from `withBenchDatabase`, with
 * rate limits out of the way and a queue schema of its own; `env` adds or overrides settings.
 */
export async function startBenchServer(
  database: Database & { url?: string },
  env: Record<string, string> = {},
  options: { logStream?: NodeJS.WritableStream } = {},
) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sb-bench-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    SWITCHBOARD_SECRET: 'bench-secret-0123456789abcdef',
    RATE_LIMIT_USER_PER_MINUTE: '10000000',
    RATE_LIMIT_ORG_PER_MINUTE: '10000000',
    RATE_LIMIT_IP_PER_MINUTE: '10000000',
    QUEUE_SCHEMA: `q_${randomBytes(4).toString('hex')}`,
    ...(database.url ? { DATABASE_URL: database.url } : {}),
    ...env,
  });
  const ctx = await createContext(config, { database, skipMigrations: true });
  const { app, domains } = await buildApp(ctx, options.logStream ? { logStream: options.logStream } : {});
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

  /** Registers a new owner (a new org) and answers JSON headers carrying its access token. */
  async function registerOwner(name = 'Bench') {
    const { accessToken } = await json<{ accessToken: string }>(
      await fetch(`${url}/api/v1/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          email: `bench-${randomBytes(4).toString('hex')}@example.test`,
          password: `Bench-${randomBytes(8).toString('hex')}`,
          name,
        }),
      }),
    );
    return { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` };
  }

  /** A JSON request as the given headers' caller. */
  async function send<T>(headers: Record<string, string>, method: string, route: string, body?: unknown) {
    return json<T>(
      await fetch(`${url}${route}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );
  }

  return {
    url,
    ctx,
    app,
    domains,
    registerOwner,
    send,
    async close() {
      await app.close();
      await ctx.queue.stop({ graceful: false }).catch(() => {});
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type BenchServer = Awaited<ReturnType<typeof startBenchServer>>;
