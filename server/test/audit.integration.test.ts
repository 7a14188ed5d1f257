import type { paths, SwitchboardClient } from '@switchboard/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditRow } from '../src/audit/service.ts';
import { insertAudit } from '../src/audit/store.ts';
import { clientAs, rawRequest, type Schema } from './kit/api-client.ts';
import { startTestServer, type TestServer, uniqueSuffix } from './kit/test-server.ts';
import { addMember, registerOwner, type Session } from './kit/users.ts';

type Entry = Schema<'AuditEntry'>;
type AuditQuery = NonNullable<paths['/api/v1/audit']['get']['parameters']['query']>;

let server: TestServer;
let owner: Session;
let viewer: Session;
let api: SwitchboardClient;

beforeAll(async () => {
  server = await startTestServer({ env: { AUDIT_RETENTION_DAYS: '30' } });
  owner = await registerOwner(server, 'audit');
  viewer = await addMember(server, owner, 'viewer');
  api = clientAs(server, owner);
});
afterAll(async () => {
  await server?.close();
});

const MUTATING = ['POST', 'PUT', 'PATCH', 'DELETE'];
const withId = (url: string, id: string) => url.replace(/:[A-Za-z]+/g, encodeURIComponent(id));

async function audit(query: AuditQuery) {
  await server.domains.audit.recorder.flush();
  const res = await api.GET('/api/v1/audit', { params: { query } });
  if (!res.data) throw new Error(`GET /audit failed: ${res.response.status} ${JSON.stringify(res.error)}`);
  return res.data;
}

async function allPages(query: AuditQuery): Promise<Entry[]> {
  const out: Entry[] = [];
  let cursor: string | null = null;
  do {
    const page = await audit({ ...query, limit: 200, ...(cursor ? { cursor } : {}) });
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
      // The route comes from the route table, not a typed path, so it is called raw.
      const res = await rawRequest(server, route.method, withId(route.url, 'x'), {
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
    const rows = await allPages({ actor: viewer.userId });
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
    const role = await api.POST('/api/v1/roles', {
      body: { name: `audited-${uniqueSuffix()}`, permissions: ['members:read'] },
    });
    const id = role.data!.id;
    await api.PATCH('/api/v1/roles/{id}', { params: { path: { id } }, body: { description: 'changed' } });
    const page = await audit({ resourceId: id, action: 'updateRole' });
    expect(page.items.map((e) => [e.action, e.outcome, e.status, e.resource])).toEqual([
      ['updateRole', 'success', 200, { type: 'role', id }],
    ]);
    const created = await audit({ action: 'createRole', actor: owner.userId });
    expect(created.items[0]).toMatchObject({ outcome: 'success', status: 201, resource: null });
    expect(Date.parse(created.items[0]!.at)).toBeGreaterThanOrEqual(started - 1000);
  });

  it('does not record requests without a verified credential, or reads', async () => {
    const requestId = `anon-${uniqueSuffix()}`;
    // No credential and an empty body: a request the typed client would not send, so raw.
    await rawRequest(server, 'POST', '/api/v1/roles', { body: {}, headers: { 'x-request-id': requestId } });
    const readId = `read-${uniqueSuffix()}`;
    await api.GET('/api/v1/roles', { headers: { 'x-request-id': readId } });
    await server.domains.audit.recorder.flush();
    const everything = await allPages({ outcome: 'failure' });
    expect(everything.some((e) => e.requestId === requestId || e.requestId === readId)).toBe(false);
  });
});

describe('GET /audit', () => {
  it('filters by actor, action, resource type, outcome and time, and pages with a cursor', async () => {
    for (let i = 0; i < 3; i++) {
      await api.PATCH('/api/v1/roles/{id}', {
        params: { path: { id: `missing-${i}` } },
        body: { description: 'x' },
      });
    }
    const failures = await audit({
      action: 'updateRole',
      outcome: 'failure',
      resourceType: 'role',
      actor: owner.userId,
    });
    expect(failures.items.map((e) => e.resource?.id)).toEqual(['missing-2', 'missing-1', 'missing-0']);
    expect(failures.items.every((e) => e.status === 404)).toBe(true);

    const mine = { action: 'updateRole', outcome: 'failure' as const, actor: owner.userId };
    const first = await audit({ ...mine, limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const second = await audit({ ...mine, limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((e) => e.resource?.id)).toEqual(['missing-0']);
    expect(second.nextCursor).toBeNull();

    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await audit({ since: future })).items).toEqual([]);
    expect((await audit({ until: '2000-01-01T00:00:00Z' })).items).toEqual([]);
  });

  it('refuses since after until, and callers without audit:read', async () => {
    const bad = await api.GET('/api/v1/audit', {
      params: { query: { since: '2030-01-01T00:00:00Z', until: '2020-01-01T00:00:00Z' } },
    });
    expect(bad.response.status).toBe(400);
    expect(bad.error).toMatchObject({
      error: { code: 'validation_failed', message: 'since must not be after until' },
    });
    const denied = await clientAs(server, viewer).GET('/api/v1/audit');
    expect(denied.response.status).toBe(403);
    expect(denied.error).toMatchObject({
      error: { code: 'forbidden', message: 'this needs the audit:read permission' },
    });
  });

  it('shows an org only its own trail', async () => {
    const other = await registerOwner(server, 'audit-other');
    const res = await clientAs(server, other).GET('/api/v1/audit', { params: { query: { limit: 200 } } });
    expect(res.response.status).toBe(200);
    const actors = new Set(res.data!.items.map((e) => e.actor.id));
    expect(actors.has(owner.userId)).toBe(false);
    expect(actors.has(viewer.userId)).toBe(false);
  });

  it('exports CSV with ?format=csv or Accept: text/csv, escaping quotes, commas and formulas', async () => {
    const nasty = '=SUM(A1),"quoted"';
    await api.PATCH('/api/v1/roles/{id}', { params: { path: { id: nasty } }, body: { description: 'x' } });
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
    const res = await api.GET('/api/v1/audit', {
      params: { query: { format: 'csv', since: '2030-01-01T00:00:00Z', until: '2020-01-01T00:00:00Z' } },
    });
    expect(res.response.status).toBe(400);
    expect(res.error).toMatchObject({ error: { code: 'validation_failed' } });
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
    expect((await audit({ action: event.action })).items).toHaveLength(2);
    expect(await server.domains.audit.purge()).toBeGreaterThanOrEqual(1);
    const left = (await audit({ action: event.action })).items;
    expect(left).toHaveLength(1);
    expect(Date.now() - Date.parse(left[0]!.at)).toBeLessThan(30 * 86_400_000);
  });
});
