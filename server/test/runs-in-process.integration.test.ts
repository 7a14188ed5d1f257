import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNS_QUEUE, type RunJob } from '../src/execution/records.ts';
import { clientAs } from './kit/api-client.ts';
import { logLabels, makeRunAgent, runEvents, submitRun, waitForRun } from './kit/runs.ts';
import { startReplica, startTestServer, type TestServer } from './kit/test-server.ts';
import { registerOwner, type Session } from './kit/users.ts';

/** The queue's job of a run, as pg-boss keeps it. */
async function jobOf(server: TestServer, runId: string) {
  const [job] = await server.ctx.queue.findJobs<RunJob>(RUNS_QUEUE, { data: { runId } });
  if (!job) throw new Error(`run ${runId} has no job`);
  return job;
}

/**
 * A run submitted on a replica that executes runs starts there at once, without the queue's fetch; its
 * job waits on the queue, held back, as the fallback if the process dies (runs-recovery covers the
 * crash), and is completed with the run.
 */
describe('runs started in the process that submitted them', () => {
  let server: TestServer;
  let owner: Session;
  let agentId: string;
  beforeAll(async () => {
    server = await startTestServer();
    owner = await registerOwner(server);
    agentId = (await makeRunAgent(server, owner)).id;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('starts a submitted run without fetching its job, and completes the job with the run', async () => {
    const run = await submitRun(server, owner, { agentId, input: 'hello' });
    const done = await waitForRun(server, owner, run.id, ['succeeded', 'failed']);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1 });
    const job = await jobOf(server, run.id);
    expect(job.state).toBe('completed');
    expect(job.startedOn).toBeNull(); // no worker ever fetched it
  });

  it('executes a run once when its job is fetched while the run executes here', async () => {
    const run = await submitRun(server, owner, { agentId, input: '/sleep 4000\n/tokens 3' });
    await expect
      .poll(async () => logLabels(await runEvents(server, owner, run.id)))
      .toContain('run.started(start)');
    // As if the lease had lapsed: the job comes due and this process's worker fetches it.
    const held = await jobOf(server, run.id);
    await server.ctx.queue.update(RUNS_QUEUE, undefined, { id: held.id, startAfter: 0 });
    server.domains.execution.wake();
    await expect
      .poll(async () => (await jobOf(server, run.id)).startedOn, { timeout: 10_000 })
      .not.toBeNull();

    const done = await waitForRun(server, owner, run.id, ['succeeded', 'failed']);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1 });
    const labels = logLabels(await runEvents(server, owner, run.id));
    expect(labels.filter((l) => l.startsWith('run.started'))).toEqual(['run.started(start)']);
    expect(labels.at(-1)).toBe('run.completed');
    await expect.poll(async () => (await jobOf(server, run.id)).state).toBe('completed');
  });

  it('holds the job back while the run executes here, and completes it when the run is cancelled', async () => {
    const run = await submitRun(server, owner, { agentId, input: '/sleep 60000\n/tokens 3' });
    await expect
      .poll(async () => logLabels(await runEvents(server, owner, run.id)))
      .toContain('run.started(start)');
    const held = await jobOf(server, run.id);
    expect(held.state).toBe('created');
    expect(held.startAfter.getTime()).toBeGreaterThan(Date.now());

    const res = await clientAs(server, owner).POST('/api/v1/runs/{id}/cancel', {
      params: { path: { id: run.id } },
    });
    expect(res.response.status).toBe(202);
    const done = await waitForRun(server, owner, run.id, ['cancelled', 'succeeded', 'failed']);
    expect(done).toMatchObject({ status: 'cancelled', attempts: 1 });
    const job = await jobOf(server, run.id);
    expect(job.state).toBe('completed');
    expect(job.startedOn).toBeNull();
  });
});

describe('a replica that runs no workers', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });

  it('leaves a run submitted to it to the queue, where a worker fetches it', async () => {
    const worker = await startTestServer();
    cleanup.push(() => worker.close());
    const started = await startReplica(worker, {
      WORKERS_IN_PROCESS: 'false',
      QUEUE_SCHEMA: worker.ctx.config.queueSchema,
    });
    cleanup.push(() => started.close());
    // What the helpers need of a server: its address.
    const replica = { url: started.url } as TestServer;
    const owner = await registerOwner(replica);
    const agentId = (await makeRunAgent(replica, owner)).id;
    const run = await submitRun(replica, owner, { agentId, input: 'hello' });
    const done = await waitForRun(replica, owner, run.id, ['succeeded', 'failed']);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1 });
    // Not held back by the replica, and fetched by the worker's loop.
    expect((await jobOf(worker, run.id)).startedOn).not.toBeNull();
  });
});
