import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROCESS_TEST_TIMEOUT, runCli, terminate } from './kit/child-process.ts';
import { clientAs } from './kit/files.ts';
import { makeRunAgent } from './kit/runs.ts';
import { makeTask, startTask, waitForTask } from './kit/tasks.ts';
import {
  fileDatabaseUrl,
  startTestServer,
  storageMode,
  TEST_SECRET,
  type TestServer,
} from './kit/test-server.ts';
import { registerOwner } from './kit/users.ts';
import { ofType, openAuthed, subscribe } from './kit/ws-client.ts';

const redisUrl = process.env.TEST_REDIS_URL;

/**
 * Scale-out: two API replicas without workers and a separate worker process. The task is started on
 * A and approved on B; the worker (which serves no HTTP) runs it, and the task moves once, in the
 * worker's transaction, with B's subscribers told.
 */
describe.skipIf(!redisUrl || storageMode !== 'postgres')('tasks across replicas', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterAll(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });

  it(
    'a task started on A, approved on B and run by a worker process moves once, and B hears it',
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
      const onA = clientAs(a, owner.accessToken);
      const onB = clientAs(b, owner.accessToken);
      const agent = await makeRunAgent(a, owner);
      const task = await makeTask(onA, {
        title: 'Scale out',
        description: '/tool demo.approval {"action":"scale"}',
        assignee: { type: 'agent', id: agent.id },
      });
      const socket = await openAuthed(b, owner.accessToken);
      cleanup.push(async () => {
        await socket.close();
      });
      await subscribe(socket, 'tasks');

      await startTask(onA, task.id);
      const blocked = await waitForTask(onB, task.id, 'blocked');
      const approved = await onB.POST('/api/v1/inbox/{id}/approve', {
        params: { path: { id: blocked.blocked!.inboxItemId! } },
        body: {},
      });
      expect(approved.response.status).toBe(200);
      await waitForTask(onA, task.id, 'done');

      const statuses: string[] = [];
      while (statuses.at(-1) !== 'done') {
        const e = await socket.next(ofType('event', { channel: 'tasks' }));
        statuses.push((e.data as { task: { status: string } }).task.status);
      }
      expect(statuses).toEqual(['in_progress', 'blocked', 'in_progress', 'done']);
      await a.domains.audit.recorder.flush();
      const audit = await onA.GET('/api/v1/audit', {
        params: { query: { resourceId: task.id, limit: 50 } },
      });
      const moves = audit.data!.items.map((e) => e.action).filter((x) => x.startsWith('task.'));
      expect(moves.sort()).toEqual([
        'task.blocked',
        'task.create',
        'task.done',
        'task.resumed',
        'task.start',
      ]);
      expect(worker.output()).not.toContain('"level":50');
    },
    PROCESS_TEST_TIMEOUT,
  );
});
