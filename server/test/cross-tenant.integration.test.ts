import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertPlan } from '../src/billing/store.ts';
import { makeAgent } from './kit/agents.ts';
import { clientAs } from './kit/api-client.ts';
import { envelope, exceptionEvent, issuesOf, makeProject, postIngest, sendEvent } from './kit/errors.ts';
import { proposing, reportCart, requestFix, waitForFix } from './kit/fixes.ts';
import { type GitRepo, makeGitRepo } from './kit/git-repo.ts';
import { inboxItemFor, makeRunAgent, submitRun, waitForRun } from './kit/runs.ts';
import { deliver, stripeEvent, WEBHOOK_SECRET, waitForEvent } from './kit/stripe.ts';
import { startTestServer, type TestServer, uniqueSuffix } from './kit/test-server.ts';
import { addMember, call, registerOwner, roleId, type Session } from './kit/users.ts';

/**
 * Tenant isolation, generated from the route table: for every route that names a resource, a user of
 * org B (an owner: every permission) gets 404 for org A's resource on read and on write, and org A's
 * resource is unchanged afterwards. A new route without a fixture here fails the suite.
 */

interface Created {
  id: string;
  /** Valid bodies for writes, so the request reaches the tenant check instead of failing validation. */
  bodies?: Partial<Record<string, unknown>>;
  /** A GET (as org A) that must still show the resource after org B's attempts. */
  readBack: string;
  /** What org B's bodies set; A's read-back must not show it (default: the text 'changed by B'). */
  marker?: string;
  /**
   * Routes that name a key in each org's own namespace (a model's price) answer B about B's own row:
   * the status B gets instead of 404, by method.
   */
  ownAnswers?: Partial<Record<string, number>>;
  /** The error code of a failing own answer (an operator-only route answers B not_operator). */
  ownCode?: string;
  /** Not org A's: platform-wide (a plan), so B's lists may name it. */
  global?: boolean;
}

type Fixture = (ctx: { server: TestServer; a: Session; b: Session }) => Promise<Created>;

/** One resource serves every route that names it (`/runs/:id`, `/runs/:id/cancel`, ...). */
function shared(make: Fixture): Fixture {
  let made: Promise<Created> | undefined;
  return (ctx) => {
    made ??= make(ctx);
    return made;
  };
}

const agentFixture = shared(async ({ server, a }) => {
  const agent = await makeAgent(server, a);
  return {
    id: agent.id,
    bodies: { PATCH: { description: 'changed by B' } },
    readBack: `/api/v1/agents/${agent.id}`,
  };
});

const conversationFixture = shared(async ({ server, a }) => {
  const agent = await makeAgent(server, a);
  const conv = await call<{ id: string }>(server, 'POST', '/api/v1/conversations', {
    token: a.accessToken,
    body: { agentId: agent.id, title: 'org A only' },
  });
  return {
    id: conv.body.id,
    bodies: { PATCH: { title: 'changed by B' } },
    readBack: `/api/v1/conversations/${conv.body.id}`,
  };
});

/** A run paused for approval, so its inbox item can be approved, rejected, read and closed. */
const pausedRun = shared(async ({ server, a }) => {
  const agent = await makeRunAgent(server, a);
  const run = await submitRun(server, a, {
    agentId: agent.id,
    input: '/tool demo.approval {"action":"iso"}',
  });
  await waitForRun(server, a, run.id, ['waiting_approval']);
  return { id: run.id, readBack: `/api/v1/runs/${run.id}` };
});

const inboxFixture = shared(async (ctx) => {
  const run = await pausedRun(ctx);
  const item = await inboxItemFor(ctx.server, ctx.a, run.id);
  return {
    id: item.id,
    bodies: { PATCH: { read: true }, POST: { reason: 'by B' } },
    readBack: `/api/v1/inbox/${item.id}`,
  };
});

/** A task of org A assigned to A's agent, never started (B's start must not reach it). */
const taskFixture = shared(async ({ server, a }) => {
  const agent = await makeAgent(server, a);
  const res = await call<{ id: string }>(server, 'POST', '/api/v1/tasks', {
    token: a.accessToken,
    body: { title: 'org A only', assignee: { type: 'agent', id: agent.id } },
  });
  if (res.status !== 201) throw new Error(`task: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    id: res.body.id,
    bodies: { PATCH: { title: 'changed by B' } },
    readBack: `/api/v1/tasks/${res.body.id}`,
  };
});

/** An error project of org A. */
const errorProjectFixture = shared(async ({ server, a }) => {
  const project = await makeProject(clientAs(server, a));
  return {
    id: project.id,
    bodies: { PATCH: { name: 'changed by B' } },
    readBack: `/api/v1/error-projects/${project.id}`,
  };
});

/** An issue of org A, grouped from one event sent with A's DSN key. */
const issueFixture = shared(async ({ server, a }) => {
  const api = clientAs(server, a);
  const project = await makeProject(api);
  await sendEvent(
    server,
    project,
    exceptionEvent({ type: 'OrgAOnly', frames: [{ module: 'a', function: 'f' }] }),
  );
  const [issue] = await issuesOf(api, project.id, (items) => items.length === 1);
  return {
    id: issue!.id,
    // POST asks for a fix of it (B's must find no issue; A's issue has no repository either way).
    bodies: { PATCH: { status: 'ignored' }, POST: { instructions: 'changed by B' } },
    readBack: `/api/v1/issues/${issue!.id}`,
    marker: 'ignored',
  };
});

/** The repository org A's fix is proposed for (inside FIX_REPOSITORY_ROOTS). */
let repo: GitRepo;

/** A fix of org A, proposed and waiting for a person: B's approve and reject must not reach it. */
const fixFixture = shared(async ({ server, a }) => {
  const api = clientAs(server, a);
  const project = await makeProject(api, { repository: { path: repo.dir, branch: 'main' } });
  const issue = await reportCart(server, api, project);
  const requested = await requestFix(
    api,
    issue.id,
    proposing({ path: 'src/cart.js', find: 'i.price', replace: 'i.price * i.quantity' }),
  );
  const fix = await waitForFix(api, requested.id, ['proposed', 'failed']);
  if (fix.status !== 'proposed') throw new Error(`fix: ${JSON.stringify(fix)}`);
  return {
    id: fix.id,
    bodies: { POST: { reason: 'changed by B' } },
    readBack: `/api/v1/fixes/${fix.id}`,
  };
});

const fixtures: Record<string, Fixture> = {
  '/api/v1/error-projects/:id': errorProjectFixture,
  '/api/v1/issues/:id': issueFixture,
  '/api/v1/issues/:id/events': issueFixture,
  '/api/v1/issues/:id/fixes': issueFixture,
  '/api/v1/fixes/:id': fixFixture,
  '/api/v1/fixes/:id/approve': fixFixture,
  '/api/v1/fixes/:id/reject': fixFixture,
  '/api/v1/members/:id': async ({ server, a, b }) => {
    const m = await addMember(server, a, 'member');
    return {
      id: m.memberId,
      bodies: { PATCH: { roleId: await roleId(server, b, 'viewer') } },
      readBack: '/api/v1/members?limit=200',
    };
  },
  '/api/v1/roles/:id': async ({ server, a }) => {
    const r = await call<{ id: string }>(server, 'POST', '/api/v1/roles', {
      token: a.accessToken,
      body: { name: `iso-${Date.now()}`, permissions: ['members:read'] },
    });
    return {
      id: r.body.id,
      bodies: { PATCH: { description: 'changed by B' } },
      readBack: `/api/v1/roles/${r.body.id}`,
    };
  },
  '/api/v1/api-keys/:id': async ({ server, a }) => {
    const k = await call<{ apiKey: { id: string } }>(server, 'POST', '/api/v1/api-keys', {
      token: a.accessToken,
      body: { name: 'iso', scopes: ['members:read'] },
    });
    return { id: k.body.apiKey.id, readBack: '/api/v1/api-keys?limit=200' };
  },
  '/api/v1/agents/:id': agentFixture,
  '/api/v1/agents/:id/versions': agentFixture,
  '/api/v1/agents/:id/health': agentFixture,
  '/api/v1/conversations/:id': conversationFixture,
  '/api/v1/conversations/:id/messages': conversationFixture,
  '/api/v1/runs/:id': pausedRun,
  '/api/v1/runs/:id/cancel': pausedRun,
  '/api/v1/runs/:id/events': pausedRun,
  '/api/v1/chat/stream/:id': pausedRun,
  '/api/v1/inbox/:id': inboxFixture,
  '/api/v1/inbox/:id/read': inboxFixture,
  '/api/v1/inbox/:id/close': inboxFixture,
  '/api/v1/inbox/:id/approve': inboxFixture,
  '/api/v1/inbox/:id/reject': inboxFixture,
  '/api/v1/tasks/:id': taskFixture,
  '/api/v1/tasks/:id/start': taskFixture,
  '/api/v1/model-providers/:name': async ({ server, a }) => {
    const res = await call(server, 'PUT', '/api/v1/model-providers', {
      token: a.accessToken,
      body: { name: 'iso-llm', baseUrl: 'http://127.0.0.1:9/v1' },
    });
    if (res.status !== 200) throw new Error(`provider: ${res.status} ${JSON.stringify(res.body)}`);
    return { id: 'iso-llm', readBack: '/api/v1/model-providers' };
  },
  '/api/v1/usage/prices/:model': async ({ server, a }) => {
    const model = 'iso-llm:model';
    const body = { inputPerMTok: 1, cachedInputPerMTok: 0.5, outputPerMTok: 2 };
    const res = await call(server, 'PUT', `/api/v1/usage/prices/${model}`, { token: a.accessToken, body });
    if (res.status !== 200) throw new Error(`price: ${res.status} ${JSON.stringify(res.body)}`);
    return {
      id: model,
      bodies: { PUT: { ...body, outputPerMTok: 98765 } },
      readBack: '/api/v1/usage/prices',
      marker: '98765',
      // B sets and then resets its own price for the same model name; A's stays as it was.
      ownAnswers: { PUT: 200, DELETE: 204 },
    };
  },
  '/api/v1/usage/budgets/:id': async ({ server, a }) => {
    const res = await call<{ id: string }>(server, 'POST', '/api/v1/usage/budgets', {
      token: a.accessToken,
      body: { scope: 'org', limitUsd: 5, period: 'month', hard: true, alertAt: [0.8] },
    });
    if (res.status !== 201) throw new Error(`budget: ${res.status} ${JSON.stringify(res.body)}`);
    return {
      id: res.body.id,
      bodies: { PATCH: { limitUsd: 987654 } },
      readBack: `/api/v1/usage/budgets/${res.body.id}`,
      marker: '987654',
    };
  },
  // Plans are the operator's, platform-wide: B (not the operator org) may neither change nor delete one.
  '/api/v1/admin/billing/plans/:id': async ({ server }) => {
    const id = `iso-${uniqueSuffix()}`;
    await upsertPlan(server.ctx.database.db, { id, name: 'iso plan', priceUsdMonthly: 1, limits: {} });
    return {
      id,
      bodies: { PUT: { name: 'changed by B', priceUsdMonthly: 0, limits: {} } },
      readBack: '/api/v1/billing/plans',
      ownAnswers: { PUT: 403, DELETE: 403 },
      ownCode: 'not_operator',
      global: true,
    };
  },
  '/api/v1/billing/events/:id/replay': async ({ server, a }) => {
    const planId = `iso-a-${uniqueSuffix()}`;
    await upsertPlan(server.ctx.database.db, { id: planId, name: 'iso a', priceUsdMonthly: 1, limits: {} });
    const sub = await call(server, 'POST', '/api/v1/billing/subscription', {
      token: a.accessToken,
      body: { planId },
    });
    if (sub.status !== 200) throw new Error(`subscribe: ${sub.status} ${JSON.stringify(sub.body)}`);
    // Binds a customer to A through metadata (A has none yet), so the event is A's.
    const event = stripeEvent('invoice.paid', {
      id: `in_iso_${uniqueSuffix()}`,
      object: 'invoice',
      customer: `cus_iso_${uniqueSuffix()}`,
      amount_due: 100,
      amount_paid: 100,
      currency: 'usd',
      metadata: { orgId: a.orgId },
    });
    const res = await deliver(server, event);
    if (res.status !== 200) throw new Error(`webhook: ${res.status} ${JSON.stringify(res.body)}`);
    const seen = await waitForEvent(server, a, event.id);
    if (seen.orgId !== a.orgId) throw new Error(`billing event mapped to ${seen.orgId}`);
    return { id: event.id, readBack: `/api/v1/billing/events?limit=200` };
  },
  '/api/v1/mcp-servers/:id': async ({ server, a }) => {
    const mcp = await call<{ id: string }>(server, 'POST', '/api/v1/mcp-servers', {
      token: a.accessToken,
      body: { transport: 'http', name: 'iso', url: 'http://127.0.0.1:9/mcp' },
    });
    return {
      id: mcp.body.id,
      bodies: { PATCH: { description: 'changed by B' } },
      readBack: '/api/v1/mcp-servers?limit=200',
    };
  },
};

let server: TestServer;
let a: Session;
let b: Session;
const created = new Map<string, Created>();
const webhookOfA = `a-hook-${Date.now()}`;

beforeAll(async () => {
  repo = makeGitRepo({
    'src/cart.js': 'export const total = (items) => items.reduce((s, i) => s + i.price, 0);\n',
  });
  server = await startTestServer({
    env: { STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, FIX_REPOSITORY_ROOTS: repo.root },
  });
  a = await registerOwner(server, 'tenant-a');
  b = await registerOwner(server, 'tenant-b');
  for (const [url, fixture] of Object.entries(fixtures)) created.set(url, await fixture({ server, a, b }));
  // Singletons (one per org) have no id in the path; both orgs get one so B's answer can be checked.
  for (const [session, tag] of [
    [a, webhookOfA],
    [b, 'b-hook'],
  ] as const) {
    await call(server, 'PUT', '/api/v1/webhooks', {
      token: session.accessToken,
      body: { url: `http://127.0.0.1:9/${tag}` },
    });
  }
});
afterAll(async () => {
  await server?.close();
  repo?.cleanup();
});

const apiRoutes = () => server.routes.filter((r) => r.url.startsWith('/api/v1/'));
const withId = (url: string, id: string) => url.replace(/:[A-Za-z]+/, encodeURIComponent(id));

describe('the route table', () => {
  it('declares auth on every route, and only sign-in and mailed-link routes are public', () => {
    expect(server.routes.length).toBeGreaterThan(10);
    const publicApi = apiRoutes()
      .filter((r) => r.auth === 'public')
      .map((r) => `${r.method} ${r.url}`)
      .sort();
    expect(publicApi).toEqual([
      // Whether mail is on, for the sign-in pages to explain themselves.
      'GET /api/v1/server-settings',
      // WebSockets authenticate in-band (browsers cannot send Authorization on an upgrade).
      'GET /api/v1/ws',
      'GET /api/v1/ws/dashboard',
      // Mailed links carry their own single-use token.
      'POST /api/v1/auth/invitations/accept',
      'POST /api/v1/auth/login',
      'POST /api/v1/auth/password-reset',
      'POST /api/v1/auth/password-reset/confirm',
      'POST /api/v1/auth/refresh',
      'POST /api/v1/auth/register',
      'POST /api/v1/auth/verify-email',
      // Stripe authenticates by the Stripe-Signature of the raw body instead.
      'POST /api/v1/billing/webhooks/stripe',
    ]);
  });

  it('answers 401 without a credential on every guarded route', async () => {
    const guarded = server.routes.filter((r) => r.auth !== 'public');
    expect(guarded.length).toBeGreaterThan(5);
    for (const route of guarded) {
      const res = await call(server, route.method, withId(route.url, 'x'));
      expect({ route: `${route.method} ${route.url}`, status: res.status }).toEqual({
        route: `${route.method} ${route.url}`,
        status: 401,
      });
    }
  });

  it('has a cross-tenant fixture for every route that names a resource', () => {
    const missing = apiRoutes()
      .filter((r) => r.url.includes('/:') && !fixtures[r.url])
      .map((r) => `${r.method} ${r.url}`);
    expect(missing, 'add a fixture to server/test/cross-tenant.integration.test.ts').toEqual([]);
  });
});

describe('org B cannot reach org A', () => {
  it('gets 404 for each of org A resources, on read and write, and changes nothing', async () => {
    const routes = apiRoutes().filter((r) => r.url.includes('/:'));
    expect(routes.length).toBeGreaterThanOrEqual(Object.keys(fixtures).length);
    for (const route of routes) {
      const resource = created.get(route.url)!;
      const body = resource.bodies?.[route.method];
      const own = resource.ownAnswers?.[route.method];
      const res = await call(server, route.method, withId(route.url, resource.id), {
        token: b.accessToken,
        body,
      });
      expect({
        route: `${route.method} ${route.url}`,
        status: res.status,
        code: (res.body as { error?: { code: string } } | undefined)?.error?.code,
      }).toEqual({
        route: `${route.method} ${route.url}`,
        status: own ?? 404,
        code: own ? (own >= 400 ? resource.ownCode : undefined) : 'not_found',
      });
    }
    for (const resource of created.values()) {
      const res = await call(server, 'GET', resource.readBack, { token: a.accessToken });
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.body)).toContain(resource.id);
      expect(JSON.stringify(res.body)).not.toContain(resource.marker ?? 'changed by B');
    }
  });

  it("cannot act on org A's inbox items in bulk: each answers not_found, and stays as it was", async () => {
    const item = created.get('/api/v1/inbox/:id')!;
    for (const action of ['read', 'close', 'approve', 'reject']) {
      const res = await call<{ items: Array<{ id: string; ok: boolean; error?: { code: string } }> }>(
        server,
        'POST',
        '/api/v1/inbox/bulk',
        { token: b.accessToken, body: { ids: [item.id], action } },
      );
      expect(res.status).toBe(200);
      expect(res.body.items).toEqual([
        { id: item.id, ok: false, error: expect.objectContaining({ code: 'not_found' }) },
      ]);
    }
    const own = await call<{ status: string; read: boolean }>(server, 'GET', item.readBack, {
      token: a.accessToken,
    });
    expect(own.body).toMatchObject({ status: 'open', read: false });
  });

  it("cannot change org A's issues in bulk, and org B's DSN key never ingests into org A's projects", async () => {
    const issue = created.get('/api/v1/issues/:id')!;
    for (const body of [
      { ids: [issue.id], action: 'resolve' },
      { ids: [issue.id], action: 'ignore' },
      { ids: [issue.id], action: 'assign', assignee: null },
    ] satisfies Array<{ ids: string[]; action: 'resolve' | 'ignore' | 'assign'; assignee?: null }>) {
      const res = await clientAs(server, b).POST('/api/v1/issues/bulk', { body });
      expect(res.response.status).toBe(200);
      expect(res.data?.results).toEqual([
        { id: issue.id, ok: false, error: expect.objectContaining({ code: 'not_found' }) },
      ]);
    }
    const own = await clientAs(server, a).GET('/api/v1/issues/{id}', { params: { path: { id: issue.id } } });
    expect(own.data).toMatchObject({ status: 'unresolved', count: 1 });

    const projectOfA = await clientAs(server, a).GET('/api/v1/error-projects/{id}', {
      params: { path: { id: created.get('/api/v1/error-projects/:id')!.id } },
    });
    const projectOfB = await makeProject(clientAs(server, b));
    const event = envelope({}, [{ type: 'event', payload: exceptionEvent({ type: 'FromB' }) }]);
    const res = await postIngest(server, projectOfA.data!.ingestId, event, { key: projectOfB.publicKey });
    expect(res).toMatchObject({ status: 401, body: { error: { code: 'invalid_key' } } });
    // Nor does B's stats or list name A's issues.
    const list = await clientAs(server, b).GET('/api/v1/issues');
    expect(JSON.stringify(list.data)).not.toContain(issue.id);
    const stats = await clientAs(server, b).GET('/api/v1/issues/stats', {
      params: { query: { projectId: projectOfA.data!.id } },
    });
    expect(stats.response.status).toBe(404);
    // Nor count A's issue's events when asked for it by id.
    const trends = await clientAs(server, b).GET('/api/v1/issues/trends', {
      params: { query: { ids: issue.id } },
    });
    expect(trends.data).toMatchObject({ items: [] });
  });

  it("leaves org A's proposed fix undecided after org B's approve and reject", async () => {
    const fix = created.get('/api/v1/fixes/:id')!;
    const own = await clientAs(server, a).GET('/api/v1/fixes/{id}', { params: { path: { id: fix.id } } });
    expect(own.data).toMatchObject({ status: 'proposed', decidedBy: null, rejectReason: null, branch: null });
  });

  it("cannot change org A's tasks in bulk, nor give org A's tasks to org B's agents or members", async () => {
    const task = created.get('/api/v1/tasks/:id')!;
    for (const body of [
      { ids: [task.id], action: 'status', status: 'done' },
      { ids: [task.id], action: 'assign', assignee: null },
      { ids: [task.id], action: 'delete' },
    ]) {
      const res = await call<{ items: unknown[] }>(server, 'POST', '/api/v1/tasks/bulk', {
        token: b.accessToken,
        body,
      });
      expect(res.status).toBe(200);
      expect(res.body.items).toEqual([
        { id: task.id, ok: false, error: expect.objectContaining({ code: 'not_found' }) },
      ]);
    }
    const theirAgent = await makeAgent(server, b);
    // B's owner is a member of B (a new member would sign in, and B's trail must stay B's owner's).
    const members = await call<{ items: Array<{ id: string }> }>(server, 'GET', '/api/v1/members', {
      token: b.accessToken,
    });
    const theirMember = { memberId: members.body.items[0]!.id };
    for (const assignee of [
      { type: 'agent', id: theirAgent.id },
      { type: 'member', id: theirMember.memberId },
    ]) {
      const create = await call(server, 'POST', '/api/v1/tasks', {
        token: a.accessToken,
        body: { title: 'for B', assignee },
      });
      const patch = await call(server, 'PATCH', `/api/v1/tasks/${task.id}`, {
        token: a.accessToken,
        body: { assignee },
      });
      const bulk = await call<{ items: unknown[] }>(server, 'POST', '/api/v1/tasks/bulk', {
        token: a.accessToken,
        body: { ids: [task.id], action: 'assign', assignee },
      });
      for (const res of [create, patch]) {
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ error: { code: 'unknown_assignee' } });
      }
      expect(bulk.body.items).toEqual([
        { id: task.id, ok: false, error: expect.objectContaining({ code: 'unknown_assignee' }) },
      ]);
    }
    const own = await call<{ status: string; assignee: { type: string } }>(server, 'GET', task.readBack, {
      token: a.accessToken,
    });
    expect(own.body).toMatchObject({ status: 'todo', assignee: { type: 'agent' } });
  });

  it("never lists org A's resources", async () => {
    const ids = [
      ...new Set(
        [...created.values()]
          .filter((c) => !c.global)
          .map((c) => c.id)
          .filter((id) => id !== 'iso-llm'),
      ),
      webhookOfA,
    ];
    // The control room is platform-wide and for the operator org only (see admin tests). Files are
    // named by ?path= rather than by id; files-tenancy.integration.test.ts covers every files route.
    const lists = apiRoutes().filter(
      (r) =>
        r.method === 'GET' &&
        !r.url.includes('/:') &&
        r.auth !== 'public' &&
        !r.url.startsWith('/api/v1/admin/') &&
        !r.url.startsWith('/api/v1/files/'),
    );
    let checked = 0;
    // The activity feed reads the audit log, whose request rows are written behind the response.
    await server.domains.audit.recorder.flush();
    for (const route of lists) {
      const res = await call(server, 'GET', route.url, { token: b.accessToken });
      expect(res.status, `${route.url}`).toBe(200);
      if (route.url === '/api/v1/updates') {
        // A's feed names A's resources, so the id check below is not vacuous; B's holds only B's doings.
        const own = await call(server, 'GET', `${route.url}?limit=200`, { token: a.accessToken });
        for (const fixture of ['/api/v1/agents/:id', '/api/v1/runs/:id', '/api/v1/roles/:id']) {
          expect(JSON.stringify(own.body), `A's feed lacks ${fixture}`).toContain(created.get(fixture)!.id);
        }
        const items = (
          res.body as { items: Array<{ actor: { id: string } | null; subject: { id: string } | null }> }
        ).items;
        expect(items.length).toBeGreaterThan(0);
        expect(new Set(items.flatMap((u) => (u.actor ? [u.actor.id] : [])))).toEqual(new Set([b.userId]));
        // What no person did is the system making B's own starter agent, nothing of A's.
        const bAgents = await call<{ items: Array<{ id: string }> }>(
          server,
          'GET',
          '/api/v1/agents?limit=200',
          {
            token: b.accessToken,
          },
        );
        const systemSubjects = items.filter((u) => !u.actor).map((u) => u.subject?.id);
        expect(systemSubjects.every((id) => bAgents.body.items.some((x) => x.id === id))).toBe(true);
      }
      if (route.url === '/api/v1/audit') {
        // B's trail records B's own attempts on A's ids above; it must hold nothing done by A.
        const entries = (
          res.body as { items: Array<{ action: string; actor: { type: string; id: string | null } }> }
        ).items;
        const actors = entries.filter((e) => e.actor.type !== 'system').map((e) => e.actor.id);
        expect(actors.length).toBeGreaterThan(0);
        expect(new Set(actors)).toEqual(new Set([b.userId]));
        // The system's one doing in B: making B's starter agent when B's org was created.
        expect(entries.filter((e) => e.actor.type === 'system').map((e) => e.action)).toEqual([
          'agent.create',
        ]);
        checked++;
        continue;
      }
      const text = JSON.stringify(res.body);
      for (const id of ids) expect(text, `${route.url} leaks ${id}`).not.toContain(id);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(3);
  });
});
