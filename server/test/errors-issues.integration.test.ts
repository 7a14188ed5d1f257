import type { SwitchboardClient } from '@switchboard/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAs, failure } from './kit/api-client.ts';
import {
  type ErrorProject,
  exceptionEvent,
  type Issue,
  issuesOf,
  makeProject,
  sendEvent,
  totalCount,
} from './kit/errors.ts';
import { startTestServer, type TestServer } from './kit/test-server.ts';
import { addMember, login, registerOwner, type Session, testPassword, uniqueEmail } from './kit/users.ts';
import { openAuthed, subscribe } from './kit/ws-client.ts';

/** Grouping, issue status and assignment, lists, events, figures, the `issues` channel, self-reports. */

let server: TestServer;
let owner: Session;
let api: SwitchboardClient;
const adminEmail = uniqueEmail('operator');
const adminPassword = testPassword();

beforeAll(async () => {
  server = await startTestServer({
    env: { SWITCHBOARD_ADMIN_EMAIL: adminEmail, SWITCHBOARD_ADMIN_PASSWORD: adminPassword },
    testRoutes: (app: FastifyInstance) => {
      app.get('/test/explode', { config: { auth: 'public' } }, async () => {
        throw new Error('the widget store is on fire');
      });
    },
  });
  await server.domains.identity.auth.ensureOwner({ email: adminEmail, password: adminPassword });
  owner = await registerOwner(server, 'issues');
  api = clientAs(server, owner);
});
afterAll(async () => {
  await server?.close();
});

const frame = (module: string, fn: string, lineno = 10, in_app = true) => ({
  module,
  function: fn,
  lineno,
  in_app,
});

/** Sends the events in order, then waits until the project's issues hold them all. */
async function group(project: ErrorProject, events: Array<Record<string, unknown>>): Promise<Issue[]> {
  for (const event of events) await sendEvent(server, project, event);
  return issuesOf(api, project.id, (items) => totalCount(items) === events.length);
}

describe('grouping', () => {
  it('puts the same error twice in one issue, whatever its line numbers', async () => {
    const project = await makeProject(api);
    const items = await group(project, [
      exceptionEvent({ type: 'KeyError', value: 'sku', frames: [frame('shop.cart', 'add', 10)] }),
      exceptionEvent({ type: 'KeyError', value: 'sku', frames: [frame('shop.cart', 'add', 42)] }),
    ]);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ count: 2, title: 'KeyError: sku', culprit: 'add (shop.cart)' });
  });

  it('tells errors apart by their in-app frames only, and ignores hashes in file names', async () => {
    const project = await makeProject(api);
    const items = await group(project, [
      exceptionEvent({ type: 'E', frames: [frame('lib', 'x', 1, false), frame('app', 'one')] }),
      exceptionEvent({ type: 'E', frames: [frame('lib', 'y', 9, false), frame('app', 'one')] }),
      exceptionEvent({ type: 'E', frames: [frame('app', 'two')] }),
      exceptionEvent({
        type: 'E',
        frames: [
          { filename: 'https://cdn.example/assets/main.3f9a2b1c.js', function: 'click', in_app: true },
        ],
      }),
      exceptionEvent({
        type: 'E',
        frames: [
          { filename: 'https://cdn.example/assets/main.77aa01ff.js', function: 'click', in_app: true },
        ],
      }),
    ]);
    expect(items.map((i) => i.count).sort()).toEqual([1, 2, 2]);
  });

  it("follows the SDK's fingerprint, with {{ default }} standing for the default key", async () => {
    const project = await makeProject(api);
    const items = await group(project, [
      exceptionEvent({ type: 'A', frames: [frame('m', 'a')], fingerprint: ['payments-down'] }),
      exceptionEvent({ type: 'B', frames: [frame('m', 'b')], fingerprint: ['payments-down'] }),
      exceptionEvent({ type: 'C', frames: [frame('m', 'c')], fingerprint: ['{{ default }}', 'eu'] }),
      exceptionEvent({ type: 'C', frames: [frame('m', 'c')], fingerprint: ['{{ default }}', 'us'] }),
      exceptionEvent({ type: 'C', frames: [frame('m', 'c')], fingerprint: ['{{default}}', 'us'] }),
    ]);
    expect(items.map((i) => i.count).sort()).toEqual([1, 2, 2]);
  });

  it('groups messages with their numbers, hex ids and UUIDs masked', async () => {
    const project = await makeProject(api);
    const items = await group(project, [
      exceptionEvent({ message: 'user 123 not found in shard 7' }),
      exceptionEvent({ message: 'user 98765 not found in shard 2' }),
      exceptionEvent({ message: 'order 4f1c2b3a-1d2e-4f5a-8b9c-0d1e2f3a4b5c failed' }),
      exceptionEvent({ message: 'order 0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d failed' }),
      exceptionEvent({ message: 'blob deadbeef0123 missing' }),
      exceptionEvent({ message: 'blob 0f0f0f0f99aa missing' }),
      exceptionEvent({ message: 'something else entirely' }),
    ]);
    expect(items.map((i) => i.count).sort()).toEqual([1, 2, 2, 2]);
    expect(items.every((i) => i.shortId.startsWith(`${project.slug}-`))).toBe(true);
    expect(new Set(items.map((i) => i.shortId)).size).toBe(4);
  });

  it('counts distinct users and keeps the levels', async () => {
    const project = await makeProject(api);
    const [issue] = await group(project, [
      exceptionEvent({ message: 'disk full', level: 'warning', user: { id: 'u1' } }),
      exceptionEvent({ message: 'disk full', level: 'warning', user: { id: 'u1' } }),
      exceptionEvent({ message: 'disk full', level: 'warning', user: { email: 'b@example.test' } }),
      exceptionEvent({ message: 'disk full', level: 'warning' }),
    ]);
    expect(issue).toMatchObject({ count: 4, userCount: 2, level: 'warning' });
  });
});

describe('issues', () => {
  let project: ErrorProject;
  let items: Issue[];
  beforeAll(async () => {
    project = await makeProject(api);
    items = await group(project, [
      exceptionEvent({ type: 'Alpha', value: 'first', frames: [frame('a', 'a')] }),
      exceptionEvent({ type: 'Beta', value: 'second', frames: [frame('b', 'b')], level: 'fatal' }),
      exceptionEvent({ type: 'Beta', value: 'second', frames: [frame('b', 'b')], level: 'fatal' }),
      exceptionEvent({ type: 'Gamma', value: 'third', frames: [frame('c', 'c')] }),
      exceptionEvent({ type: 'Gamma', value: 'third', frames: [frame('c', 'c')] }),
      exceptionEvent({ type: 'Gamma', value: 'third', frames: [frame('c', 'c')] }),
    ]);
  });
  const byTitle = (prefix: string) => items.find((i) => i.title.startsWith(prefix))!;

  it('lists by count, first seen or last seen, a page at a time, and filters by text, status and level', async () => {
    const byCount = await api.GET('/api/v1/issues', {
      params: { query: { projectId: project.id, sort: 'count' } },
    });
    expect(byCount.data?.items.map((i) => i.count)).toEqual([3, 2, 1]);
    const pages: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api.GET('/api/v1/issues', {
        params: { query: { projectId: project.id, sort: 'count', limit: 1, ...(cursor ? { cursor } : {}) } },
      });
      pages.push(...(page.data?.items.map((i) => i.title) ?? []));
      cursor = page.data?.nextCursor ?? undefined;
    } while (cursor);
    expect(pages).toEqual(['Gamma: third', 'Beta: second', 'Alpha: first']);
    for (const sort of ['firstSeen', 'lastSeen'] as const) {
      const all = await api.GET('/api/v1/issues', { params: { query: { projectId: project.id, sort } } });
      const paged: string[] = [];
      let next: string | undefined;
      do {
        const page = await api.GET('/api/v1/issues', {
          params: { query: { projectId: project.id, sort, limit: 2, ...(next ? { cursor: next } : {}) } },
        });
        paged.push(...(page.data?.items.map((i) => i.id) ?? []));
        next = page.data?.nextCursor ?? undefined;
      } while (next);
      expect(paged).toEqual(all.data?.items.map((i) => i.id));
    }
    const found = await api.GET('/api/v1/issues', {
      params: { query: { projectId: project.id, q: 'gAMMa' } },
    });
    expect(found.data?.items.map((i) => i.title)).toEqual(['Gamma: third']);
    const fatal = await api.GET('/api/v1/issues', {
      params: { query: { projectId: project.id, level: 'fatal' } },
    });
    expect(fatal.data?.items.map((i) => i.title)).toEqual(['Beta: second']);
    const badCursor = await api.GET('/api/v1/issues', { params: { query: { cursor: 'bm9wZQ' } } });
    expect(badCursor.response.status).toBe(400);
  });

  it("counts many issues' events per hour in one request, every hour present", async () => {
    const [alpha, gamma] = [byTitle('Alpha'), byTitle('Gamma')];
    const res = await api.GET('/api/v1/issues/trends', {
      params: { query: { ids: `${gamma.id},${alpha.id},iss_not_ours,${gamma.id}`, hours: 3 } },
    });
    expect(res.response.status).toBe(200);
    const { from, to, items: series } = res.data!;
    expect(Date.parse(to) - Date.parse(from)).toBe(3 * 3_600_000);
    expect(Date.parse(to)).toBeGreaterThan(Date.now() - 60_000);
    // Asked order, repeats and ids that are not the org's issues left out.
    expect(series.map((t) => t.issueId)).toEqual([gamma.id, alpha.id]);
    const total = (events: number[]) => events.reduce((n, c) => n + c, 0);
    expect(series.map((t) => [t.events.length, total(t.events)])).toEqual([
      [3, 3],
      [3, 1],
    ]);
    expect(series[0]!.events[0]).toBe(0);

    const recent = await api.GET('/api/v1/issues/trends');
    expect(recent.data?.items.map((t) => t.issueId)).toEqual(expect.arrayContaining([alpha.id, gamma.id]));
    expect(recent.data?.items.every((t) => t.events.length === 24)).toBe(true);

    const tooMany = Array.from({ length: 101 }, (_, i) => `iss_${i}`).join(',');
    for (const query of [{ ids: tooMany }, { hours: 0 }, { hours: 169 }]) {
      const bad = await api.GET('/api/v1/issues/trends', { params: { query } });
      expect(failure(bad)).toMatchObject({ status: 400, code: 'validation_failed' });
    }
  });

  it("pages an issue's events newest first, and shows the latest in full", async () => {
    const gamma = byTitle('Gamma');
    const first = await api.GET('/api/v1/issues/{id}/events', {
      params: { path: { id: gamma.id }, query: { limit: 2 } },
    });
    expect(first.data?.items).toHaveLength(2);
    const rest = await api.GET('/api/v1/issues/{id}/events', {
      params: { path: { id: gamma.id }, query: { limit: 2, cursor: first.data!.nextCursor! } },
    });
    expect(rest.data?.items).toHaveLength(1);
    expect(rest.data?.nextCursor).toBeNull();
    const ids = [...first.data!.items, ...rest.data!.items].map((e) => e.id);
    expect(ids).toEqual([...ids].sort().reverse());
    const detail = await api.GET('/api/v1/issues/{id}', { params: { path: { id: gamma.id } } });
    expect(detail.data?.latestEvent?.id).toBe(ids[0]);
    expect(detail.data?.latestEvent?.exceptions[0]?.frames[0]).toMatchObject({
      module: 'c',
      function: 'c',
      inApp: true,
    });
  });

  it('changes status and assignee; refuses an assignee who is not a member', async () => {
    const alpha = byTitle('Alpha');
    const member = await addMember(server, owner, 'member');
    const res = await api.PATCH('/api/v1/issues/{id}', {
      params: { path: { id: alpha.id } },
      body: { status: 'ignored', assignee: member.memberId },
    });
    expect(res.data).toMatchObject({ status: 'ignored', assignee: member.memberId });
    const stranger = await registerOwner(server, 'stranger');
    const members = await clientAs(server, stranger).GET('/api/v1/members');
    const bad = await api.PATCH('/api/v1/issues/{id}', {
      params: { path: { id: alpha.id } },
      body: { assignee: members.data!.items[0]!.id },
    });
    expect(bad.response.status).toBe(400);
    expect((bad.error as { error: { code: string } }).error.code).toBe('unknown_assignee');
    const viewer = await addMember(server, owner, 'viewer');
    const denied = await clientAs(server, viewer).PATCH('/api/v1/issues/{id}', {
      params: { path: { id: alpha.id } },
      body: { status: 'resolved' },
    });
    expect(denied.response.status).toBe(403);
  });

  it('answers a bulk action per item', async () => {
    const ids = [byTitle('Alpha').id, 'iss_missing', byTitle('Beta').id];
    const res = await api.POST('/api/v1/issues/bulk', { body: { ids, action: 'resolve' } });
    expect(res.response.status).toBe(200);
    expect(res.data?.results).toEqual([
      { id: ids[0], ok: true, issue: expect.objectContaining({ status: 'resolved' }) },
      { id: 'iss_missing', ok: false, error: expect.objectContaining({ code: 'not_found' }) },
      { id: ids[2], ok: true, issue: expect.objectContaining({ status: 'resolved' }) },
    ]);
    const assign = await api.POST('/api/v1/issues/bulk', {
      body: { ids: [ids[0]!], action: 'assign', assignee: null },
    });
    expect(assign.data?.results[0]).toMatchObject({ ok: true, issue: { assignee: null } });
    const missing = await api.POST('/api/v1/issues/bulk', { body: { ids: [ids[0]!], action: 'assign' } });
    expect(missing.response.status).toBe(400);
  });

  it('reopens a resolved issue as regressed when it happens again, and says so on the issues channel', async () => {
    const socket = await openAuthed(server, owner.accessToken);
    expect(await subscribe(socket, 'issues')).toMatchObject({ type: 'subscribed', channel: 'issues' });
    const beta = byTitle('Beta');
    await api.PATCH('/api/v1/issues/{id}', {
      params: { path: { id: beta.id } },
      body: { status: 'resolved' },
    });
    await sendEvent(
      server,
      project,
      exceptionEvent({ type: 'Beta', value: 'second', frames: [frame('b', 'b')] }),
    );
    const regressed = await socket.next((m) => m.type === 'event' && m.event === 'issue.regressed');
    expect(regressed).toMatchObject({
      channel: 'issues',
      data: { issue: { id: beta.id, status: 'regressed' } },
    });
    const now = await api.GET('/api/v1/issues/{id}', { params: { path: { id: beta.id } } });
    expect(now.data).toMatchObject({ status: 'regressed', count: 3 });
    // A new issue is announced too.
    await sendEvent(server, project, exceptionEvent({ type: 'Delta', frames: [frame('d', 'd')] }));
    const created = await socket.next((m) => m.type === 'event' && m.event === 'issue.created');
    expect(created).toMatchObject({ data: { issue: { title: 'Delta: it broke', status: 'unresolved' } } });
    await socket.close();
  });

  it('counts events per bucket by level, every bucket present, and issues by status', async () => {
    const to = new Date();
    const from = new Date(to.getTime() - 5 * 3_600_000);
    const res = await api.GET('/api/v1/issues/stats', {
      params: {
        query: { bucket: 'hour', from: from.toISOString(), to: to.toISOString(), projectId: project.id },
      },
    });
    expect(res.response.status).toBe(200);
    const stats = res.data!;
    expect(stats.buckets).toHaveLength(6);
    expect(stats.buckets.slice(0, 5).every((b) => b.events === 0 && b.newIssues === 0)).toBe(true);
    const total = stats.buckets.reduce((n, b) => n + b.events, 0);
    expect(total).toBe(8);
    expect(stats.buckets.reduce((n, b) => n + b.byLevel.fatal, 0)).toBe(2);
    expect(stats.buckets.reduce((n, b) => n + b.newIssues, 0)).toBe(4);
    expect(stats.byStatus).toMatchObject({ resolved: 1, regressed: 1 });
    expect(stats.byLevel.fatal + stats.byLevel.error).toBe(4);
    const reversed = await api.GET('/api/v1/issues/stats', {
      params: { query: { from: to.toISOString(), to: from.toISOString() } },
    });
    expect(reversed.response.status).toBe(400);
  });
});

describe('the activity feed', () => {
  it('shows new issues, regressions and status changes, by short id and title', async () => {
    const project = await makeProject(api);
    const [issue] = await group(project, [exceptionEvent({ type: 'Feedy', frames: [frame('f', 'f')] })]);
    await api.PATCH('/api/v1/issues/{id}', {
      params: { path: { id: issue!.id } },
      body: { status: 'resolved' },
    });
    await sendEvent(server, project, exceptionEvent({ type: 'Feedy', frames: [frame('f', 'f')] }));
    await issuesOf(api, project.id, (items) => items[0]?.status === 'regressed');
    const feed = await api.GET('/api/v1/updates', { params: { query: { limit: 50 } } });
    const mine = feed.data!.items.filter((u) => u.subject?.id === issue!.id);
    expect(mine.map((u) => [u.kind, u.summary])).toEqual([
      ['issue.regressed', `issue ${issue!.shortId} Feedy: it broke happened again after it was resolved`],
      ['issue.updated', `marked issue ${issue!.shortId} Feedy: it broke resolved`],
      ['issue.created', `new issue ${issue!.shortId} Feedy: it broke`],
    ]);
    expect(mine[1]!.actor).toMatchObject({ kind: 'user', id: owner.userId });
    expect(mine[0]!.actor).toBeNull();
  });
});

describe('self-reporting', () => {
  it("reports the server's own 500s to the operator's built-in Switchboard project, and gives the console its DSN", async () => {
    const res = await fetch(`${server.url}/test/explode`);
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error).toMatchObject({ code: 'internal_error', message: 'internal server error' });

    const admin = await login(server, adminEmail, adminPassword);
    const adminApi = clientAs(server, admin);
    let builtin: ErrorProject | undefined;
    await expect
      .poll(async () => {
        builtin = (await adminApi.GET('/api/v1/error-projects')).data?.items.find((p) => p.builtin);
        return builtin?.name;
      })
      .toBe('Switchboard');
    // Other test files' servers on a shared PostgreSQL database may report to this operator's project
    // too (a server without an admin email reports to the oldest org): look for this test's issue.
    const fire = 'Error: the widget store is on fire';
    const items = await issuesOf(adminApi, builtin!.id, (list) => list.some((i) => i.title === fire));
    const issue = items.find((i) => i.title === fire);
    expect(issue).toMatchObject({ title: fire, status: 'unresolved' });
    const detail = await adminApi.GET('/api/v1/issues/{id}', { params: { path: { id: issue!.id } } });
    expect(detail.data?.latestEvent).toMatchObject({ transaction: 'GET /test/explode', platform: 'node' });

    // Any signed-in user gets the DSN the console reports with: the built-in project's.
    const consoleDsn = await api.GET('/api/v1/error-projects/console');
    expect(consoleDsn.data).toEqual({ dsn: builtin!.dsn, environment: 'test' });
    // Nobody else's org sees the operator's project.
    const mine = await api.GET('/api/v1/error-projects');
    expect(mine.data?.items.some((p) => p.id === builtin!.id)).toBe(false);
  });
});
