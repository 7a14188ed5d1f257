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

describe('submissions claimed at once, and the slots of the process', () => {
  let server: TestServer;
  let owner: Session;
  let agentId: string;
  beforeAll(async () => {
    // One slot: a second run cannot be claimed in its submission while the first executes.
    server = await startTestServer({ env: { RUN_CONCURRENCY: '1' } });
    owner = await registerOwner(server);
    agentId = (await makeRunAgent(server, owner)).id;
  });
  afterAll(async () => {
    await server?.close();
  });

  const cancel = (id: string) =>
    clientAs(server, owner).POST('/api/v1/runs/{id}/cancel', { params: { path: { id } } });

  it('claims a run in its submission when a slot is free, and queues the next until the slot frees', async () => {
    const first = await submitRun(server, owner, { agentId, input: '/sleep 60000\n/tokens 3' });
    expect(first).toMatchObject({ status: 'running', attempts: 1, lastSeq: 2 });
    expect(logLabels(await runEvents(server, owner, first.id))).toEqual(['run.queued', 'run.started(start)']);

    const second = await submitRun(server, owner, { agentId, input: 'after the first' });
    expect(second).toMatchObject({ status: 'queued', attempts: 0, lastSeq: 1 });
    // Held back for this process, which starts it itself once the slot is free.
    const held = await jobOf(server, second.id);
    expect(held.state).toBe('created');
    expect(held.startAfter.getTime()).toBeGreaterThan(Date.now());

    expect((await cancel(first.id)).response.status).toBe(202);
    expect(await waitForRun(server, owner, first.id, ['cancelled', 'succeeded', 'failed'])).toMatchObject({
      status: 'cancelled',
    });
    const done = await waitForRun(server, owner, second.id, ['succeeded', 'failed']);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1, output: 'Echo: after the first' });
    const labels = logLabels(await runEvents(server, owner, second.id));
    expect(labels.slice(0, 2)).toEqual(['run.queued', 'run.started(start)']);
    const job = await jobOf(server, second.id);
    expect(job.state).toBe('completed');
    expect(job.startedOn).toBeNull();
  });

  it('cancels a run claimed in its submission when the cancel comes right after the answer', async () => {
    const run = await submitRun(server, owner, { agentId, input: '/sleep 60000\n/tokens 3' });
    expect(run.status).toBe('running');
    expect((await cancel(run.id)).response.status).toBe(202);
    const done = await waitForRun(server, owner, run.id, ['cancelled', 'succeeded', 'failed']);
    expect(done).toMatchObject({ status: 'cancelled', attempts: 1 });
    expect((await jobOf(server, run.id)).state).toBe('completed');
  });

  it('stores submissions made together, one run per Idempotency-Key among them', async () => {
    const keys = Array.from({ length: 6 }, (_, i) => `together-${i}-${Math.random()}`);
    const api = clientAs(server, owner);
    const answers = await Promise.all(
      [...keys, ...keys].map((key, i) =>
        api.POST('/api/v1/runs', {
          body: { agentId, input: `together ${i % keys.length}` },
          headers: { 'idempotency-key': key },
        }),
      ),
    );
    expect(answers.map((a) => a.response.status)).toEqual(answers.map(() => 202));
    const ids = answers.map((a) => a.data!.id);
    expect(new Set(ids).size).toBe(keys.length);
    expect(ids.slice(keys.length)).toEqual(ids.slice(0, keys.length));
    const replayed = answers.filter((a) => a.response.headers.get('idempotent-replayed') === 'true');
    expect(replayed).toHaveLength(keys.length);
    for (const [i, id] of ids.slice(0, keys.length).entries()) {
      const done = await waitForRun(server, owner, id, ['succeeded', 'failed']);
      expect(done).toMatchObject({ status: 'succeeded', attempts: 1, output: `Echo: together ${i}` });
      const events = await runEvents(server, owner, id);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, n) => n + 1));
      expect(logLabels(events).at(-1)).toBe('run.completed');
    }
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
