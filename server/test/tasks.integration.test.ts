import type { components, SwitchboardClient } from '@switchboard/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../src/agents/present.ts';
import { makeAgent } from './kit/agents.ts';
import { clientAs, failure } from './kit/files.ts';
import { makeTask, type Task } from './kit/tasks.ts';
import { startTestServer, type TestServer } from './kit/test-server.ts';
import { addMember, registerOwner, type Session } from './kit/users.ts';
import { ofType, openAuthed, subscribe } from './kit/ws-client.ts';

/** Tasks without runs: CRUD, validation, filters and pages, bulk, stats, events and the feed. */

let server: TestServer;
let owner: Session;
let api: SwitchboardClient;
let agent: Agent;
/** The server's clock, which tests may move (when a task became done). */
let offsetMs = 0;

beforeAll(async () => {
  server = await startTestServer({ clock: () => new Date(Date.now() + offsetMs) });
  owner = await registerOwner(server, 'tasks');
  api = clientAs(server, owner.accessToken);
  agent = await makeAgent(server, owner);
});
afterAll(async () => {
  await server?.close();
});

/** A fresh org with its own agent and member, so counts and lists start empty. */
async function freshOrg(label: string) {
  const session = await registerOwner(server, label);
  const client = clientAs(server, session.accessToken);
  return {
    session,
    api: client,
    agent: await makeAgent(server, session),
    member: await addMember(server, session, 'member'),
  };
}

const HOUR = 3_600_000;
const past = new Date(Date.now() - 2 * HOUR).toISOString();
const future = new Date(Date.now() + 48 * HOUR).toISOString();

describe('CRUD', () => {
  it('creates with defaults, reads, changes and deletes a task', async () => {
    const created = await makeTask(api, { title: '  Write the plan  ' });
    expect(created).toMatchObject({
      title: 'Write the plan',
      description: '',
      status: 'todo',
      priority: 'normal',
      assignee: null,
      dueAt: null,
      labels: [],
      runId: null,
      conversationId: null,
      result: null,
      blocked: null,
      createdBy: owner.userId,
      completedAt: null,
    });
    expect(created.id).toMatch(/^tsk_/);

    const patched = await api.PATCH('/api/v1/tasks/{id}', {
      params: { path: { id: created.id } },
      body: {
        status: 'done',
        priority: 'urgent',
        assignee: { type: 'agent', id: agent.id },
        dueAt: '2030-01-02T03:04:05Z',
        labels: ['docs', 'docs', 'q1'],
      },
    });
    expect(patched.data).toMatchObject({
      status: 'done',
      priority: 'urgent',
      assignee: { type: 'agent', id: agent.id },
      dueAt: '2030-01-02T03:04:05.000Z',
      labels: ['docs', 'q1'],
    });
    expect(patched.data!.completedAt).not.toBeNull();
    const reopened = await api.PATCH('/api/v1/tasks/{id}', {
      params: { path: { id: created.id } },
      body: { status: 'todo', assignee: null, dueAt: null },
    });
    expect(reopened.data).toMatchObject({ status: 'todo', completedAt: null, assignee: null, dueAt: null });

    const got = await api.GET('/api/v1/tasks/{id}', { params: { path: { id: created.id } } });
    expect(got.data).toEqual(reopened.data);
    const removed = await api.DELETE('/api/v1/tasks/{id}', { params: { path: { id: created.id } } });
    expect(removed.response.status).toBe(204);
    const gone = await api.GET('/api/v1/tasks/{id}', { params: { path: { id: created.id } } });
    expect(failure(gone)).toEqual({
      status: 404,
      code: 'not_found',
      message: `task ${created.id} was not found`,
    });
  });

  it('answers validation errors in the envelope', async () => {
    const empty = await api.POST('/api/v1/tasks', { body: {} as never });
    expect(empty.response.status).toBe(400);
    expect(empty.error).toMatchObject({
      error: {
        code: 'validation_failed',
        requestId: expect.any(String),
        details: { issues: [expect.objectContaining({ path: 'body.title' })] },
      },
    });
    const bad = await api.POST('/api/v1/tasks', {
      body: { title: 'x', status: 'later', dueAt: 'tomorrow' } as never,
    });
    expect(failure(bad)).toMatchObject({ status: 400, code: 'validation_failed' });
    const task = await makeTask(api);
    const nothing = await api.PATCH('/api/v1/tasks/{id}', { params: { path: { id: task.id } }, body: {} });
    expect(failure(nothing)).toMatchObject({
      status: 400,
      code: 'validation_failed',
      message: 'body: change at least one field',
    });
    const filter = await api.GET('/api/v1/tasks', { params: { query: { assignee: 'robot:1' } } });
    expect(failure(filter)).toMatchObject({ status: 400, code: 'validation_failed' });
    const bulk = await api.POST('/api/v1/tasks/bulk', { body: { ids: [task.id], action: 'status' } });
    expect(failure(bulk)).toMatchObject({
      status: 400,
      code: 'validation_failed',
      message: 'body.status: is required with action status',
    });
    const nobody = await api.POST('/api/v1/tasks', {
      body: { title: 'x', assignee: { type: 'member', id: 'mem_nobody' } } as never,
    });
    expect(failure(nobody)).toEqual({
      status: 400,
      code: 'unknown_assignee',
      message: 'no member mem_nobody in this organisation; assign one of its agents or members',
    });
  });

  it('lets a viewer read but not change tasks', async () => {
    const viewer = await addMember(server, owner, 'viewer');
    const as = clientAs(server, viewer.accessToken);
    const task = await makeTask(api);
    expect((await as.GET('/api/v1/tasks/{id}', { params: { path: { id: task.id } } })).response.status).toBe(
      200,
    );
    const write = await as.PATCH('/api/v1/tasks/{id}', {
      params: { path: { id: task.id } },
      body: { title: 'mine' },
    });
    expect(failure(write)).toMatchObject({ status: 403, code: 'forbidden' });
  });
});

describe('filters and pages', () => {
  it('filters by status, assignee, label, overdue and text, a page at a time', async () => {
    const org = await freshOrg('tasks-filters');
    const make = (body: Parameters<typeof makeTask>[1]) => makeTask(org.api, body);
    const toAgent = { type: 'agent' as const, id: org.agent.id };
    const toMember = { type: 'member' as const, id: org.member.memberId };
    const a = await make({ title: 'Fix the 100% bug', assignee: toAgent, labels: ['bug'], dueAt: past });
    const b = await make({ title: 'Write docs', description: 'About the BILLING page', assignee: toMember });
    const c = await make({ title: 'Old bug', status: 'done', labels: ['bug', 'old'], dueAt: past });
    const d = await make({ title: 'Plan', status: 'blocked', assignee: toAgent, dueAt: future });
    const e = await make({ title: 'Ship', status: 'in_progress', dueAt: past, labels: ['release'] });

    const ids = async (query: Record<string, string | number>) => {
      const res = await org.api.GET('/api/v1/tasks', { params: { query } });
      expect(res.response.status, JSON.stringify(res.error)).toBe(200);
      return res.data!.items.map((t: Task) => t.id);
    };
    expect(await ids({})).toEqual([e.id, d.id, c.id, b.id, a.id]);
    expect(await ids({ status: 'done' })).toEqual([c.id]);
    expect(await ids({ assignee: `agent:${org.agent.id}` })).toEqual([d.id, a.id]);
    expect(await ids({ assignee: `member:${org.member.memberId}` })).toEqual([b.id]);
    expect(await ids({ assignee: 'none' })).toEqual([e.id, c.id]);
    expect(await ids({ label: 'bug' })).toEqual([c.id, a.id]);
    expect(await ids({ overdue: 'true' })).toEqual([e.id, a.id]);
    expect(await ids({ overdue: 'false' })).toEqual([d.id, c.id, b.id]);
    expect(await ids({ q: 'billing' })).toEqual([b.id]);
    expect(await ids({ q: '100%' })).toEqual([a.id]);
    expect(await ids({ q: '%' })).toEqual([a.id]);
    expect(await ids({ label: 'bug', status: 'todo', overdue: 'true' })).toEqual([a.id]);

    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 5; page++) {
      const res = await org.api.GET('/api/v1/tasks', { params: { query: { limit: 2, cursor } } });
      seen.push(...res.data!.items.map((t: Task) => t.id));
      if (!res.data!.nextCursor) break;
      cursor = res.data!.nextCursor;
    }
    expect(seen).toEqual([e.id, d.id, c.id, b.id, a.id]);
    const label = await org.api.GET('/api/v1/tasks', { params: { query: { label: 'bug', limit: 1 } } });
    const next = await org.api.GET('/api/v1/tasks', {
      params: { query: { label: 'bug', limit: 1, cursor: label.data!.nextCursor! } },
    });
    expect([label.data!.items[0]!.id, next.data!.items[0]!.id, next.data!.nextCursor]).toEqual([
      c.id,
      a.id,
      null,
    ]);
  });
});

describe('POST /tasks/bulk', () => {
  it('sets status, assigns and deletes, each task answering for itself', async () => {
    const org = await freshOrg('tasks-bulk');
    const stranger = await freshOrg('tasks-bulk-other');
    const [one, two] = [await makeTask(org.api), await makeTask(org.api)];
    const theirs = await makeTask(stranger.api);
    const bulk = (body: components['schemas']['TaskBulkRequest']) =>
      org.api.POST('/api/v1/tasks/bulk', { body });

    const status = await bulk({
      ids: [one.id, 'tsk_missing', two.id, theirs.id],
      action: 'status',
      status: 'done',
    });
    expect(status.response.status).toBe(200);
    expect(status.data!.items.map((r) => [r.id, r.ok, r.ok ? r.task?.status : r.error.code])).toEqual([
      [one.id, true, 'done'],
      ['tsk_missing', false, 'not_found'],
      [two.id, true, 'done'],
      [theirs.id, false, 'not_found'],
    ]);

    const assign = await bulk({
      ids: [one.id, two.id],
      action: 'assign',
      assignee: { type: 'member', id: org.member.memberId },
    });
    expect(assign.data!.items.map((r) => r.ok && r.task?.assignee)).toEqual([
      { type: 'member', id: org.member.memberId },
      { type: 'member', id: org.member.memberId },
    ]);
    const elsewhere = await bulk({
      ids: [one.id],
      action: 'assign',
      assignee: { type: 'agent', id: stranger.agent.id },
    });
    expect(elsewhere.data!.items).toEqual([
      { id: one.id, ok: false, error: expect.objectContaining({ code: 'unknown_assignee' }) },
    ]);

    const removed = await bulk({ ids: [one.id, theirs.id], action: 'delete' });
    expect(removed.data!.items).toEqual([
      { id: one.id, ok: true },
      { id: theirs.id, ok: false, error: expect.objectContaining({ code: 'not_found' }) },
    ]);
    const left = await org.api.GET('/api/v1/tasks', { params: { query: {} } });
    expect(left.data!.items.map((t: Task) => t.id)).toEqual([two.id]);
    const kept = await stranger.api.GET('/api/v1/tasks/{id}', { params: { path: { id: theirs.id } } });
    expect(kept.data).toMatchObject({ status: 'todo' });
  });
});

describe('GET /tasks/stats', () => {
  it('counts by status, overdue, done in the last 7 days, and per assignee', async () => {
    const org = await freshOrg('tasks-stats');
    const toAgent = { type: 'agent' as const, id: org.agent.id };
    const toMember = { type: 'member' as const, id: org.member.memberId };
    const make = (body: Parameters<typeof makeTask>[1]) => makeTask(org.api, body);
    await make({ assignee: toAgent, dueAt: past });
    await make({ status: 'in_progress', assignee: toMember, dueAt: future });
    await make({ status: 'blocked', assignee: toMember, dueAt: past });
    await make({ status: 'done', assignee: toAgent });
    await make({ status: 'cancelled', dueAt: past });
    await make({ status: 'done', dueAt: past });
    const old = await make({ assignee: toAgent });
    offsetMs = -8 * 24 * HOUR;
    try {
      await org.api.PATCH('/api/v1/tasks/{id}', {
        params: { path: { id: old.id } },
        body: { status: 'done' },
      });
    } finally {
      offsetMs = 0;
    }

    const stats = await org.api.GET('/api/v1/tasks/stats');
    expect(stats.data).toEqual({
      byStatus: { todo: 1, in_progress: 1, blocked: 1, done: 3, cancelled: 1 },
      overdue: 2,
      completedLast7Days: 2,
      byAssignee: [
        { assignee: toMember, open: 2, done: 0 },
        { assignee: toAgent, open: 1, done: 2 },
        { assignee: null, open: 0, done: 1 },
      ],
    });
  });
});

describe('events and the feed', () => {
  it('sends task.created, task.updated and task.deleted on the tasks channel', async () => {
    const socket = await openAuthed(server, owner.accessToken);
    try {
      expect(await subscribe(socket, 'tasks')).toMatchObject({ type: 'subscribed', channel: 'tasks' });
      const task = await makeTask(api, { title: 'Live' });
      await api.PATCH('/api/v1/tasks/{id}', { params: { path: { id: task.id } }, body: { status: 'done' } });
      await api.DELETE('/api/v1/tasks/{id}', { params: { path: { id: task.id } } });
      const events = [
        await socket.next(ofType('event', { channel: 'tasks' })),
        await socket.next(ofType('event', { channel: 'tasks' })),
        await socket.next(ofType('event', { channel: 'tasks' })),
      ];
      expect(events.map((e) => e.event)).toEqual(['task.created', 'task.updated', 'task.deleted']);
      expect(events[0]!.data).toMatchObject({ task: { id: task.id, title: 'Live', status: 'todo' } });
      expect(events[1]!.data).toMatchObject({ task: { id: task.id, status: 'done' } });
      expect(events[2]!.data).toEqual({ id: task.id });
    } finally {
      await socket.close();
    }
  });

  it('shows task changes in the activity feed, by title', async () => {
    const org = await freshOrg('tasks-feed');
    const task = await makeTask(org.api, { title: 'Feed me' });
    await org.api.PATCH('/api/v1/tasks/{id}', {
      params: { path: { id: task.id } },
      body: { status: 'done' },
    });
    await org.api.PATCH('/api/v1/tasks/{id}', {
      params: { path: { id: task.id } },
      body: { priority: 'high' },
    });
    await org.api.DELETE('/api/v1/tasks/{id}', { params: { path: { id: task.id } } });
    const feed = await org.api.GET('/api/v1/updates', { params: { query: { limit: 10 } } });
    const tasks = feed.data!.items.filter((u) => u.kind.startsWith('task.'));
    expect(tasks.map((u) => [u.kind, u.summary, u.subject])).toEqual([
      ['task.deleted', 'deleted task Feed me', { type: 'task', id: task.id }],
      ['task.updated', 'updated task Feed me', { type: 'task', id: task.id }],
      ['task.updated', 'moved task Feed me to done', { type: 'task', id: task.id }],
      ['task.created', 'created task Feed me', { type: 'task', id: task.id }],
    ]);
    expect(tasks[0]!.actor).toMatchObject({ kind: 'user', id: org.session.userId });
  });
});
