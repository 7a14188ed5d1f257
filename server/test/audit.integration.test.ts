import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditRow } from '../src/audit/service.ts';
import { insertAudit } from '../src/audit/store.ts';
import { addMember, call, registerOwner, type Session } from './factories.ts';
import { startTestServer, type TestServer, uniqueSuffix } from './harness.ts';

interface Entry {
  id: string;
  at: string;
  actor: { type: string; id: string | null };
  action: string;
  resource: { type: string | null; id: string | null } | null;
  outcome: 'success' | 'failure';
  status: number | null;
  ip: string | null;
  requestId: string | null;
}
interface Page {
  items: Entry[];
  nextCursor: string | null;
}

let server: TestServer;
let owner: Session;
let viewer: Session;

beforeAll(async () => {
  server = await startTestServer({ env: { AUDIT_RETENTION_DAYS: '30' } });
  owner = await registerOwner(server, 'audit');
  viewer = await addMember(server, owner, 'viewer');
});
afterAll(async () => {
  await server?.close();
});

const MUTATING = ['POST', 'PUT', 'PATCH', 'DELETE'];
const withId = (url: string, id: string) => url.replace(/:[A-Za-z]+/g, encodeURIComponent(id));

async function audit(query: string, token = owner.accessToken): Promise<Page> {
  await server.domains.audit.recorder.flush();
  const res = await call<Page>(server, 'GET', `/api/v1/audit?${query}`, { token });
  if (res.status !== 200) throw new Error(`GET /audit failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function allPages(query: string): Promise<Entry[]> {
  const out: Entry[] = [];
  let cursor: string | null = null;
  do {
    const page: Page = await audit(`${query}&limit=200${cursor ? `&cursor=${cursor}` : ''}`);
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

describe('the audit hook', () => {
  it('records every mutating route with a verified caller, walking the route table', async () => {
    const mutating = server.routes.filter((r) => MUTATING.includes(r.method) && r.auth !== 'public');
    // Only OpenAI completions opt out: each is kept as a run with who made it, and as usage.
    expect(mutating.filter((r) => !r.audited).map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /v1/chat/completions',
    ]);
    const routes = mutating.filter((r) => r.audited);
    expect(routes.length).toBeGreaterThan(8);
    const sent: Array<{
      route: string;
      operationId: string | undefined;
      requestId: string;
      status: number;
      url: string;
    }> = [];
    for (const [i, route] of routes.entries()) {
      const requestId = `walk-${uniqueSuffix()}-${i}`;
      // A viewer holds no write permission: every call is refused (403) or fails validation, with no side effects.
      const res = await call(server, route.method, withId(route.url, 'x'), {
        token: viewer.accessToken,
        body: {},
        headers: { 'x-request-id': requestId },
      });
      sent.push({
        route: `${route.method} ${route.url}`,
        operationId: route.operationId,
        requestId,
        status: res.status,
        url: route.url,
      });
    }
    const rows = await allPages(`actor=${viewer.userId}`);
    for (const s of sent) {
      const row = rows.find((r) => r.requestId === s.requestId);
      expect({ route: s.route, recorded: row !== undefined }).toEqual({ route: s.route, recorded: true });
      expect({ route: s.route, ...row }).toMatchObject({
        route: s.route,
        action: s.operationId,
        actor: { type: 'user', id: viewer.userId },
        status: s.status,
        outcome: s.status < 400 ? 'success' : 'failure',
        ip: '127.0.0.1',
        ...(s.url.includes('/:') ? { resource: { id: 'x' } } : { resource: null }),
      });
    }
  });

  it('records successes with the resource from the path, and the time of the request', async () => {
    const started = Date.now();
    const role = await call<{ id: string }>(server, 'POST', '/api/v1/roles', {
      token: owner.accessToken,
      body: { name: `audited-${uniqueSuffix()}`, permissions: ['members:read'] },
    });
    await call(server, 'PATCH', `/api/v1/roles/${role.body.id}`, {
      token: owner.accessToken,
      body: { description: 'changed' },
    });
    const page = await audit(`resourceId=${role.body.id}&action=updateRole`);
    expect(page.items.map((e) => [e.action, e.outcome, e.status, e.resource])).toEqual([
      ['updateRole', 'success', 200, { type: 'role', id: role.body.id }],
    ]);
    const created = await audit(`action=createRole&actor=${owner.userId}`);
    expect(created.items[0]).toMatchObject({ outcome: 'success', status: 201, resource: null });
    expect(Date.parse(created.items[0]!.at)).toBeGreaterThanOrEqual(started - 1000);
  });

  it('does not record requests without a verified credential, or reads', async () => {
    const requestId = `anon-${uniqueSuffix()}`;
    await call(server, 'POST', '/api/v1/roles', { body: {}, headers: { 'x-request-id': requestId } });
    const readId = `read-${uniqueSuffix()}`;
    await call(server, 'GET', '/api/v1/roles', {
      token: owner.accessToken,
      headers: { 'x-request-id': readId },
    });
    await server.domains.audit.recorder.flush();
    const everything = await allPages('outcome=failure');
    expect(everything.some((e) => e.requestId === requestId || e.requestId === readId)).toBe(false);
  });
});

describe('GET /audit', () => {
  it('filters by actor, action, resource type, outcome and time, and pages with a cursor', async () => {
    for (let i = 0; i < 3; i++) {
      await call(server, 'PATCH', `/api/v1/roles/missing-${i}`, {
        token: owner.accessToken,
        body: { description: 'x' },
      });
    }
    const failures = await audit(`action=updateRole&outcome=failure&resourceType=role&actor=${owner.userId}`);
    expect(failures.items.map((e) => e.resource?.id)).toEqual(['missing-2', 'missing-1', 'missing-0']);
    expect(failures.items.every((e) => e.status === 404)).toBe(true);

    const mine = `action=updateRole&outcome=failure&actor=${owner.userId}`;
    const first = await audit(`${mine}&limit=2`);
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const second = await audit(`${mine}&limit=2&cursor=${first.nextCursor}`);
    expect(second.items.map((e) => e.resource?.id)).toEqual(['missing-0']);
    expect(second.nextCursor).toBeNull();

    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await audit(`since=${encodeURIComponent(future)}`)).items).toEqual([]);
    expect((await audit(`until=${encodeURIComponent('2000-01-01T00:00:00Z')}`)).items).toEqual([]);
  });

  it('refuses since after until, and callers without audit:read', async () => {
    const bad = await call(
      server,
      'GET',
      '/api/v1/audit?since=2030-01-01T00:00:00Z&until=2020-01-01T00:00:00Z',
      {
        token: owner.accessToken,
      },
    );
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      error: { code: 'validation_failed', message: 'since must not be after until' },
    });
    const denied = await call(server, 'GET', '/api/v1/audit', { token: viewer.accessToken });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({
      error: { code: 'forbidden', message: 'this needs the audit:read permission' },
    });
  });

  it('shows an org only its own trail', async () => {
    const other = await registerOwner(server, 'audit-other');
    const res = await call<Page>(server, 'GET', '/api/v1/audit?limit=200', { token: other.accessToken });
    expect(res.status).toBe(200);
    const actors = new Set(res.body.items.map((e) => e.actor.id));
    expect(actors.has(owner.userId)).toBe(false);
    expect(actors.has(viewer.userId)).toBe(false);
  });

  it('exports CSV with ?format=csv or Accept: text/csv, escaping quotes, commas and formulas', async () => {
    const nasty = '=SUM(A1),"quoted"';
    await call(server, 'PATCH', `/api/v1/roles/${encodeURIComponent(nasty)}`, {
      token: owner.accessToken,
      body: { description: 'x' },
    });
    await server.domains.audit.recorder.flush();
    const res = await fetch(`${server.url}/api/v1/audit?format=csv&resourceType=role&outcome=failure`, {
      headers: { authorization: `Bearer ${owner.accessToken}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(
      /^attachment; filename="audit-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    const text = await res.text();
    const lines = text.split('\r\n');
    expect(lines[0]).toBe(
      'id,at,actor_type,actor_id,action,resource_type,resource_id,outcome,status,ip,request_id,details',
    );
    expect(lines[1]).toContain(
      `,user,${owner.userId},updateRole,role,"'=SUM(A1),""quoted""",failure,404,127.0.0.1,`,
    );
    expect(lines.at(-1)).toBe('');

    const viaAccept = await fetch(`${server.url}/api/v1/audit?action=updateRole`, {
      headers: { authorization: `Bearer ${owner.accessToken}`, accept: 'text/csv' },
    });
    expect(viaAccept.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const rows = (await viaAccept.text()).trim().split('\r\n');
    expect(rows.length).toBeGreaterThan(4);
    expect(rows.slice(1).every((r) => r.includes(',updateRole,'))).toBe(true);
  });

  it('answers a bad filter on a CSV export with a JSON error, not half a file', async () => {
    const res = await call(
      server,
      'GET',
      '/api/v1/audit?format=csv&since=2030-01-01T00:00:00Z&until=2020-01-01T00:00:00Z',
      {
        token: owner.accessToken,
      },
    );
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'validation_failed' } });
  });
});

describe('retention', () => {
  it('purges rows older than AUDIT_RETENTION_DAYS and keeps the rest', async () => {
    const db = server.ctx.database.db;
    const event = {
      action: `retention.probe.${uniqueSuffix()}`,
      orgId: owner.orgId,
      actor: { kind: 'system' as const, id: null },
      outcome: 'success' as const,
      meta: null,
    };
    await insertAudit(db, auditRow(event, new Date(Date.now() - 31 * 86_400_000)));
    await insertAudit(db, auditRow(event, new Date(Date.now() - 29 * 86_400_000)));
    expect((await audit(`action=${event.action}`)).items).toHaveLength(2);
    expect(await server.domains.audit.purge()).toBeGreaterThanOrEqual(1);
    const left = (await audit(`action=${event.action}`)).items;
    expect(left).toHaveLength(1);
    expect(Date.now() - Date.parse(left[0]!.at)).toBeLessThan(30 * 86_400_000);
  });
});
