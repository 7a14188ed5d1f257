import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeAgent } from './kit/agents.ts';
import { clientAs } from './kit/api-client.ts';
import { PROCESS_TEST_TIMEOUT, runCli, terminate } from './kit/child-process.ts';
import { runEvents, submitRun, waitForRun } from './kit/runs.ts';
import { openStream, readSse } from './kit/sse-client.ts';
import {
  fileDatabaseUrl,
  startTestServer,
  storageMode,
  TEST_SECRET,
  type TestServer,
} from './kit/test-server.ts';
import { registerOwner } from './kit/users.ts';

const redisUrl = process.env.TEST_REDIS_URL;

/**
 * Scale-out: API replicas A and B run no workers; a separate `switchboard worker` process executes the
 * run submitted to A, and a client following the run on B receives every event.
 */
describe.skipIf(!redisUrl || storageMode !== 'postgres')('runs across replicas', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterAll(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });

  it(
    'a run submitted to replica A, executed by a worker process, streams to a client of replica B',
    async () => {
      const shared = {
        REDIS_URL: redisUrl!,
        REDIS_PREFIX: `sbtest:${randomBytes(4).toString('hex')}:`,
        QUEUE_SCHEMA: `q_${randomBytes(4).toString('hex')}`,
      };
      const replicas: TestServer[] = [];
      for (let i = 0; i < 2; i++) {
        const replica = await startTestServer({ env: { ...shared, WORKERS_IN_PROCESS: 'false' } });
        replicas.push(replica);
        cleanup.push(() => replica.close());
      }
      const [a, b] = replicas as [TestServer, TestServer];

      const dir = mkdtempSync(path.join(tmpdir(), 'sb-worker-'));
      cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
      const worker = runCli(['worker'], {
        ...shared,
        DATABASE_URL: await fileDatabaseUrl(),
        DATA_DIR: dir,
        SWITCHBOARD_SECRET: TEST_SECRET,
        LOG_LEVEL: 'info',
      });
      cleanup.push(async () => {
        await terminate(worker);
      });
      for (let i = 0; i < 600 && !worker.output().includes('Switchboard worker is running'); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(worker.output()).toContain('Switchboard worker is running');

      const owner = await registerOwner(a);
      const agent = await makeAgent(a, owner);
      const run = await submitRun(a, owner, {
        agentId: agent.id,
        input: '/tokens 20\n/sleep 300\n/tokens 20',
      });
      const stream = await openStream(`${b.url}/api/v1/runs/${run.id}/events`, { token: owner.accessToken });
      const seen: Array<{ id: number; event: string | undefined }> = [];
      for await (const e of readSse(stream)) seen.push({ id: Number(e.id), event: e.event });

      expect(seen.map((e) => e.id)).toEqual(seen.map((_, i) => i + 1));
      expect(seen.at(-1)?.event).toBe('run.completed');
      const done = await waitForRun(b, owner, run.id, ['succeeded']);
      expect(done.attempts).toBe(1);
      expect((await runEvents(b, owner, run.id)).length).toBe(seen.length);
      // The replicas run no workers, so the worker process executed it, without an error.
      expect(worker.output()).not.toContain('"level":50');
    },
    PROCESS_TEST_TIMEOUT,
  );

  it('a key revoked on replica A stops working on replica B at once (caches follow the bus)', async () => {
    const shared = { REDIS_URL: redisUrl!, REDIS_PREFIX: `sbtest:${randomBytes(4).toString('hex')}:` };
    const a = await startTestServer({ env: { ...shared, WORKERS_IN_PROCESS: 'false' } });
    cleanup.push(() => a.close());
    const b = await startTestServer({ env: { ...shared, WORKERS_IN_PROCESS: 'false' } });
    cleanup.push(() => b.close());
    const owner = await registerOwner(a);
    const onA = clientAs(a, owner);
    const created = (
      await onA.POST('/api/v1/api-keys', { body: { name: 'shared', scopes: ['agents:read'] } })
    ).data!;
    const keyOnB = clientAs(b, created.key);
    // B has checked the key once, so it keeps it in memory.
    expect((await keyOnB.GET('/api/v1/agents')).response.status).toBe(200);
    const revoked = await onA.DELETE('/api/v1/api-keys/{id}', {
      params: { path: { id: created.apiKey.id } },
    });
    expect(revoked.response.status).toBe(204);
    // The invalidation travels through Redis; B must not answer from its copy once it has arrived.
    let status = 200;
    // Bounded only to catch a hang: the message usually arrives within milliseconds, later under load.
    for (let i = 0; i < 800 && status === 200; i++) {
      status = (await keyOnB.GET('/api/v1/agents')).response.status;
      if (status === 200) await new Promise((r) => setTimeout(r, 25));
    }
    expect(status).toBe(401);
  });
});
