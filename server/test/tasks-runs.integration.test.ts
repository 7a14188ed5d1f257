import type { SwitchboardClient } from '@switchboard/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../src/agents/present.ts';
import { clientAs, failure } from './kit/files.ts';
import { makeRunAgent, waitForRun } from './kit/runs.ts';
import { makeTask, startTask, waitForTask } from './kit/tasks.ts';
import { startTestServer, type TestServer } from './kit/test-server.ts';
import { addMember, registerOwner, type Session } from './kit/users.ts';

/** A task worked by a run: every way the run's outcome moves it, and starting again. */

let server: TestServer;
let owner: Session;
let api: SwitchboardClient;
let agent: Agent;

beforeAll(async () => {
  server = await startTestServer();
  owner = await registerOwner(server, 'tasks-runs');
  api = clientAs(server, owner.accessToken);
  agent = await makeRunAgent(server, owner);
});
afterAll(async () => {
  await server?.close();
});

const forAgent = (description: string, title = 'Work it') =>
  makeTask(api, { title, description, assignee: { type: 'agent', id: agent.id } });

async function approve(inboxItemId: string) {
  const res = await api.POST('/api/v1/inbox/{id}/approve', {
    params: { path: { id: inboxItemId } },
    body: {},
  });
  expect(res.response.status, JSON.stringify(res.error)).toBe(200);
}

describe('POST /tasks/{id}/start', () => {
  it('works the task in a run in its conversation; success makes it done with the result', async () => {
    const task = await forAgent('', 'Say hello');
    const started = await startTask(api, task.id);
    expect(started).toMatchObject({ status: 'in_progress', result: null, blocked: null });
    expect(started.runId).toMatch(/^run_/);
    expect(started.conversationId).toMatch(/^cnv_/);

    const done = await waitForTask(api, task.id, 'done');
    expect(done).toMatchObject({ result: 'Echo: Say hello', runId: started.runId, blocked: null });
    expect(done.completedAt).not.toBeNull();
    const run = await api.GET('/api/v1/runs/{id}', { params: { path: { id: started.runId! } } });
    expect(run.data).toMatchObject({
      status: 'succeeded',
      input: 'Say hello',
      conversationId: started.conversationId,
      metadata: { taskId: task.id },
    });
    const said = await api.GET('/api/v1/conversations/{id}/messages', {
      params: { path: { id: started.conversationId! } },
    });
    expect(said.data!.items.map((m) => m.content)).toEqual(['Say hello', 'Echo: Say hello']);
  });

  it('blocks on an approval; granted in the inbox, the run finishes and the task is done', async () => {
    const task = await forAgent('/tool demo.approval {"action":"ship"}', 'Ship it');
    const { runId } = await startTask(api, task.id);
    const blocked = await waitForTask(api, task.id, 'blocked');
    expect(blocked.blocked).toMatchObject({
      kind: 'approval',
      reason: 'waiting for approval to call demo.approval',
      code: null,
    });
    await approve(blocked.blocked!.inboxItemId!);
    const done = await waitForTask(api, task.id, 'done');
    expect(done).toMatchObject({ runId, blocked: null });
    expect(done.result).toContain('demo.approval returned: {"approved":true,"action":"ship"}');
  });

  it('blocks with the reason when the run fails, and a blocked task can be started again', async () => {
    const task = await forAgent('/fail the model is down');
    const first = await startTask(api, task.id);
    const blocked = await waitForTask(api, task.id, 'blocked');
    expect(blocked.blocked).toEqual({
      kind: 'failure',
      reason: 'the model is down',
      code: 'model_error',
      inboxItemId: null,
    });
    await api.PATCH('/api/v1/tasks/{id}', {
      params: { path: { id: task.id } },
      body: { description: 'try again' },
    });
    const second = await startTask(api, task.id);
    expect(second.runId).not.toBe(first.runId);
    expect(second.conversationId).toBe(first.conversationId);
    const done = await waitForTask(api, task.id, 'done');
    expect(done).toMatchObject({ runId: second.runId, blocked: null });
    expect(done.result).toContain('try again');
  });

  it('goes back to todo when its run is cancelled', async () => {
    const task = await forAgent('/sleep 60000');
    const { runId } = await startTask(api, task.id);
    await waitForRun(server, owner, runId!, ['running']);
    const cancel = await api.POST('/api/v1/runs/{id}/cancel', { params: { path: { id: runId! } } });
    expect(cancel.response.status).toBe(202);
    const todo = await waitForTask(api, task.id, 'todo');
    expect(todo).toMatchObject({ runId, result: null, blocked: null });
  });

  it('started again while blocked on an approval, replaces the waiting run; the new one is approved to done', async () => {
    const task = await forAgent('/tool demo.approval {"action":"again"}');
    const first = await startTask(api, task.id);
    const blocked = await waitForTask(api, task.id, 'blocked');
    const second = await startTask(api, task.id);
    expect(second).toMatchObject({ status: 'in_progress' });
    await waitForRun(server, owner, first.runId!, ['cancelled']);
    // The replaced run's approval can no longer be given.
    const stale = await api.POST('/api/v1/inbox/{id}/approve', {
      params: { path: { id: blocked.blocked!.inboxItemId! } },
      body: {},
    });
    expect(failure(stale)).toMatchObject({ status: 409, code: 'run_not_waiting' });

    const again = await waitForTask(api, task.id, 'blocked');
    expect(again.runId).toBe(second.runId);
    await approve(again.blocked!.inboxItemId!);
    expect(await waitForTask(api, task.id, 'done')).toMatchObject({ runId: second.runId });
  });

  it('is taken back by a person: the run is cancelled and its end no longer moves the task', async () => {
    const task = await forAgent('/sleep 60000');
    const { runId } = await startTask(api, task.id);
    await waitForRun(server, owner, runId!, ['running']);
    const res = await api.PATCH('/api/v1/tasks/{id}', {
      params: { path: { id: task.id } },
      body: { status: 'cancelled' },
    });
    expect(res.data).toMatchObject({ status: 'cancelled' });
    await waitForRun(server, owner, runId!, ['cancelled']);
    const after = await api.GET('/api/v1/tasks/{id}', { params: { path: { id: task.id } } });
    expect(after.data).toMatchObject({ status: 'cancelled', runId });
  });

  it('refuses a task not assigned to an agent, or one whose run still works', async () => {
    const member = await addMember(server, owner, 'member');
    const forMember = await makeTask(api, { assignee: { type: 'member', id: member.memberId } });
    const unassigned = await makeTask(api);
    const start = (id: string) => api.POST('/api/v1/tasks/{id}/start', { params: { path: { id } } });

    expect(failure(await start(forMember.id))).toEqual({
      status: 409,
      code: 'not_assigned_to_agent',
      message: `task ${forMember.id} is assigned to member ${member.memberId}; only a task assigned to an agent can be started`,
    });
    expect(failure(await start(unassigned.id))).toMatchObject({
      status: 409,
      code: 'not_assigned_to_agent',
      message: `task ${unassigned.id} has no assignee; assign it to an agent to start it`,
    });

    const busy = await forAgent('/sleep 60000');
    const { runId } = await startTask(api, busy.id);
    expect(failure(await start(busy.id))).toMatchObject({ status: 409, code: 'task_running' });
    await api.POST('/api/v1/runs/{id}/cancel', { params: { path: { id: runId! } } });
    await waitForTask(api, busy.id, 'todo');
  });
});
