import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { anonymousClient, clientAs } from './kit/api-client.ts';
import {
  type CliProcess,
  freePort,
  PROCESS_TEST_TIMEOUT,
  runCli,
  terminate,
  waitFor,
} from './kit/child-process.ts';
import {
  fileDatabaseUrl,
  startTestServer,
  storageMode,
  TEST_SECRET,
  type TestServer,
} from './kit/test-server.ts';
import { registerOwner, testPassword, uniqueEmail } from './kit/users.ts';

const servers: TestServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function server(env: Record<string, string>) {
  const s = await startTestServer({ env });
  servers.push(s);
  return s;
}

/** A sign-in with a wrong password, at `target`. */
const badLogin = (target: { url: string }) =>
  anonymousClient(target).POST('/api/v1/auth/login', {
    body: { email: uniqueEmail(), password: testPassword() },
  });

describe('rate limits', () => {
  it('limits auth routes per IP with RateLimit headers, Retry-After and the error envelope', async () => {
    const s = await server({ RATE_LIMIT_IP_PER_MINUTE: '3' });
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof badLogin>> | undefined;
    for (let i = 0; i < 4; i++) {
      last = await badLogin(s);
      statuses.push(last.response.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    expect(last!.error).toMatchObject({ error: { code: 'rate_limited' } });
    expect(last!.response.headers.get('ratelimit-limit')).toBe('3');
    expect(last!.response.headers.get('ratelimit-remaining')).toBe('0');
    expect(Number(last!.response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(last!.response.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
  });

  it('limits each user, and each org, on authenticated routes', async () => {
    const s = await server({ RATE_LIMIT_USER_PER_MINUTE: '5', RATE_LIMIT_ORG_PER_MINUTE: '1000' });
    const owner = await registerOwner(s);
    const other = await registerOwner(s);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await clientAs(s, owner).GET('/api/v1/auth/me')).response.status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    // Another user is not affected by the first one's limit.
    expect((await clientAs(s, other).GET('/api/v1/auth/me')).response.status).toBe(200);

    const orgLimited = await server({ RATE_LIMIT_USER_PER_MINUTE: '1000', RATE_LIMIT_ORG_PER_MINUTE: '3' });
    const o = await registerOwner(orgLimited);
    const res = [];
    for (let i = 0; i < 4; i++)
      res.push((await clientAs(orgLimited, o).GET('/api/v1/auth/me')).response.status);
    expect(res).toEqual([200, 200, 200, 429]);
  });
});

const redisUrl = process.env.TEST_REDIS_URL;

// Runs in the PostgreSQL project only: two embedded databases would cost two initdb runs and prove
// nothing more about Redis.
describe.skipIf(!redisUrl || storageMode !== 'postgres')('rate limits shared through Redis', () => {
  const procs: Array<{ cli: CliProcess; dir: string }> = [];
  afterAll(async () => {
    for (const p of procs) {
      await terminate(p.cli);
      rmSync(p.dir, { recursive: true, force: true });
    }
  });

  it(
    'two server processes on one Redis share one window',
    async () => {
      const prefix = `sbtest:${randomBytes(4).toString('hex')}:`;
      const urls: string[] = [];
      for (let i = 0; i < 2; i++) {
        const dir = mkdtempSync(path.join(tmpdir(), 'sb-rl-'));
        const port = await freePort();
        const cli = runCli(['start'], {
          PORT: String(port),
          DATA_DIR: dir,
          REDIS_URL: redisUrl!,
          DATABASE_URL: await fileDatabaseUrl(),
          REDIS_PREFIX: prefix,
          RATE_LIMIT_IP_PER_MINUTE: '4',
          SWITCHBOARD_SECRET: TEST_SECRET,
          LOG_LEVEL: 'warn',
        });
        procs.push({ cli, dir });
        urls.push(`http://127.0.0.1:${port}`);
      }
      await Promise.all(urls.map((u, i) => waitFor(`${u}/health/ready`, procs[i]!.cli)));
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await badLogin({ url: urls[i % 2]! });
        statuses.push(res.response.status);
      }
      // Each process alone would have allowed 4; together they allowed 4 in all.
      expect(statuses).toEqual([401, 401, 401, 401, 429]);
    },
    PROCESS_TEST_TIMEOUT,
  );
});
