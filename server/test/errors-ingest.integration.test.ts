import { deflateSync, gzipSync } from 'node:zlib';
import * as SentryBrowser from '@sentry/browser';
import * as Sentry from '@sentry/node';
import type { SwitchboardClient } from '@switchboard/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAs } from './kit/api-client.ts';
import {
  dsnAt,
  type ErrorProject,
  envelope,
  exceptionEvent,
  issuesOf,
  makeProject,
  newEventId,
  postIngest,
  sendEvent,
  totalCount,
} from './kit/errors.ts';
import { startTestServer, type TestServer } from './kit/test-server.ts';
import { registerOwner, type Session } from './kit/users.ts';

/** The Sentry-compatible ingest, driven by the real Sentry SDKs and by hand-made (and hostile) envelopes. */

const MAX_BYTES = 64 * 1024;

let server: TestServer;
let owner: Session;
let api: SwitchboardClient;

beforeAll(async () => {
  server = await startTestServer({ env: { ERRORS_MAX_EVENT_BYTES: String(MAX_BYTES) } });
  owner = await registerOwner(server, 'ingest');
  api = clientAs(server, owner);
});
afterAll(async () => {
  await server?.close();
});

describe('error projects', () => {
  it('gives each project a DSN whose project id is all digits, and a unique random key', async () => {
    const a = await makeProject(api, { name: 'My Shop (web)', platform: 'javascript' });
    const b = await makeProject(api);
    expect(a).toMatchObject({
      name: 'My Shop (web)',
      slug: 'MYSHOPWEB',
      platform: 'javascript',
      repository: null,
      verifyCommand: null,
      rateLimitPerMinute: null,
      effectiveRateLimitPerMinute: 3000,
      builtin: false,
    });
    expect(a.id).toMatch(/^eprj_/);
    expect(a.ingestId).toMatch(/^\d+$/);
    expect(a.publicKey).toMatch(/^[0-9a-f]{32}$/);
    expect(a.publicKey).not.toBe(b.publicKey);
    expect(Number(b.ingestId)).toBeGreaterThan(Number(a.ingestId));
    const dsn = new URL(a.dsn);
    expect(dsn.username).toBe(a.publicKey);
    expect(dsn.pathname).toBe(`/${a.ingestId}`);

    const patched = await api.PATCH('/api/v1/error-projects/{id}', {
      params: { path: { id: a.id } },
      body: {
        repository: { path: '/srv/shop', branch: 'main' },
        verifyCommand: ['npm', 'test'],
        rateLimitPerMinute: 10,
      },
    });
    expect(patched.data).toMatchObject({
      repository: { path: '/srv/shop', branch: 'main' },
      verifyCommand: ['npm', 'test'],
      rateLimitPerMinute: 10,
      effectiveRateLimitPerMinute: 10,
    });
    const bad = await api.PATCH('/api/v1/error-projects/{id}', {
      params: { path: { id: a.id } },
      body: { repository: { path: 'relative/path', branch: 'main' } },
    });
    expect(bad.response.status).toBe(400);
    const list = await api.GET('/api/v1/error-projects');
    expect(list.data?.items.map((p) => p.id)).toEqual(expect.arrayContaining([a.id, b.id]));
    const removed = await api.DELETE('/api/v1/error-projects/{id}', { params: { path: { id: b.id } } });
    expect(removed.response.status).toBe(204);
    const gone = await api.GET('/api/v1/error-projects/{id}', { params: { path: { id: b.id } } });
    expect(gone.response.status).toBe(404);
    // Its DSN no longer ingests.
    const res = await postIngest(
      server,
      b.ingestId,
      envelope({}, [{ type: 'event', payload: exceptionEvent({}) }]),
      {
        key: b.publicKey,
      },
    );
    expect(res.status).toBe(401);
  });
});

describe('the real Sentry SDKs', () => {
  it('@sentry/node: captureException and flush make one issue with in-app frames', async () => {
    const project = await makeProject(api);
    Sentry.init({
      dsn: dsnAt(server, project),
      defaultIntegrations: false,
      release: 'shop@1.2.3',
      environment: 'test',
    });
    function chargeCard() {
      throw new TypeError('card 4242 declined');
    }
    for (let i = 0; i < 2; i++) {
      try {
        chargeCard();
      } catch (err) {
        Sentry.withScope((scope) => {
          scope.setUser({ id: `user-${i}` });
          scope.setTag('feature', 'checkout');
          Sentry.captureException(err);
        });
      }
    }
    expect(await Sentry.flush(10_000)).toBe(true);
    const [issue] = await issuesOf(api, project.id, (items) => totalCount(items) === 2);
    expect(issue).toMatchObject({
      title: 'TypeError: card 4242 declined',
      level: 'error',
      status: 'unresolved',
      count: 2,
      userCount: 2,
      shortId: `${project.slug}-1`,
    });
    expect(issue!.culprit).toContain('chargeCard');
    const detail = await api.GET('/api/v1/issues/{id}', { params: { path: { id: issue!.id } } });
    const event = detail.data!.latestEvent!;
    expect(event).toMatchObject({
      release: 'shop@1.2.3',
      environment: 'test',
      tags: { feature: 'checkout' },
    });
    expect(event.exceptions[0]).toMatchObject({ type: 'TypeError', value: 'card 4242 declined' });
    expect(event.exceptions[0]!.frames.some((f) => f.function === 'chargeCard' && f.inApp)).toBe(true);
    await Sentry.close(2000);
  });

  it('@sentry/browser: its fetch transport (text/plain, key in the query) is accepted', async () => {
    const project = await makeProject(api, { platform: 'javascript' });
    const client = new SentryBrowser.BrowserClient({
      dsn: dsnAt(server, project),
      transport: SentryBrowser.makeFetchTransport,
      stackParser: SentryBrowser.defaultStackParser,
      integrations: [],
    });
    const scope = new SentryBrowser.Scope();
    scope.setClient(client);
    client.init();
    scope.captureException(new RangeError('page 7 out of range'));
    scope.captureMessage('checkout took 1234 ms for order 9f8e7d6c5b4a3210');
    expect(await client.flush(10_000)).toBe(true);
    const items = await issuesOf(api, project.id, (list) => list.length === 2);
    expect(items.map((i) => i.title).sort()).toEqual([
      'RangeError: page 7 out of range',
      'checkout took 1234 ms for order 9f8e7d6c5b4a3210',
    ]);
  });
});

describe('ingest', () => {
  let project: ErrorProject;
  beforeAll(async () => {
    project = await makeProject(api);
  });

  it('takes the key from the envelope header DSN when neither header nor query carries one (tunnels)', async () => {
    const event = exceptionEvent({ type: 'TunnelError', frames: [{ module: 'app', function: 'run' }] });
    const body = envelope({ event_id: event.event_id, dsn: project.dsn }, [
      { type: 'event', payload: event },
    ]);
    const res = await postIngest(server, project.ingestId, body, {
      headers: { 'content-type': 'text/plain' },
    });
    expect(res).toMatchObject({ status: 200, body: { id: event.event_id } });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('answers the CORS preflight of any origin', async () => {
    const res = await fetch(`${server.url}/api/${project.ingestId}/envelope/`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://shop.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
  });

  it('accepts gzip and deflate bodies, and the store endpoint', async () => {
    const gz = exceptionEvent({ type: 'GzipError', frames: [{ module: 'zip', function: 'gz' }] });
    const res1 = await postIngest(
      server,
      project.ingestId,
      gzipSync(envelope({}, [{ type: 'event', payload: gz }])),
      { key: project.publicKey, headers: { 'content-encoding': 'gzip' } },
    );
    expect(res1).toMatchObject({ status: 200, body: { id: gz.event_id } });
    const df = exceptionEvent({ type: 'DeflateError', frames: [{ module: 'zip', function: 'df' }] });
    const res2 = await postIngest(server, project.ingestId, deflateSync(JSON.stringify(df)), {
      key: project.publicKey,
      kind: 'store',
      headers: { 'content-encoding': 'deflate', 'content-type': 'application/json' },
    });
    expect(res2).toMatchObject({ status: 200, body: { id: df.event_id } });
    const titles = (await issuesOf(api, project.id, (items) => items.length >= 3)).map((i) => i.title);
    expect(titles).toEqual(expect.arrayContaining(['GzipError: it broke', 'DeflateError: it broke']));
  });

  it('accepts and drops sessions, client reports and attachments', async () => {
    const res = await postIngest(
      server,
      project.ingestId,
      envelope({ sent_at: new Date().toISOString() }, [
        { type: 'session', payload: { sid: 'x', status: 'ok' } },
        { type: 'client_report', payload: { discarded_events: [] } },
        { type: 'attachment', payload: 'line one\nline two' },
      ]),
      { key: project.publicKey },
    );
    expect(res).toMatchObject({ status: 200, body: { id: null } });
  });

  it('refuses a missing or wrong key, and a key used on another project (of another org too)', async () => {
    const body = envelope({}, [{ type: 'event', payload: exceptionEvent({}) }]);
    const missing = await postIngest(server, project.ingestId, body);
    expect(missing).toMatchObject({ status: 401, body: { error: { code: 'invalid_key' } } });
    const wrong = await postIngest(server, project.ingestId, body, { key: '0'.repeat(32) });
    expect(wrong).toMatchObject({ status: 401, body: { error: { code: 'invalid_key' } } });

    const other = await registerOwner(server, 'ingest-other');
    const theirs = await makeProject(clientAs(server, other));
    // A's key on B's project id, and B's key on A's project id: neither ingests.
    const crossed = await postIngest(server, theirs.ingestId, body, { key: project.publicKey });
    expect(crossed).toMatchObject({ status: 401, body: { error: { code: 'invalid_key' } } });
    const crossedBack = await postIngest(server, project.ingestId, body, { key: theirs.publicKey });
    expect(crossedBack.status).toBe(401);
    const theirIssues = await clientAs(server, other).GET('/api/v1/issues');
    expect(theirIssues.data?.items).toEqual([]);
  });

  it('refuses hostile envelopes with a clear 4xx, and goes on ingesting', async () => {
    const event = exceptionEvent({ type: 'Fine' });
    const cases: Array<[string, Buffer, string]> = [
      ['empty', Buffer.alloc(0), 'invalid_envelope'],
      ['bad header', Buffer.from('{not json\n'), 'invalid_envelope'],
      ['truncated', envelope({}, [{ type: 'event', payload: event, length: 100_000 }]), 'truncated_envelope'],
      [
        'wrong length',
        Buffer.concat([
          Buffer.from('{}\n{"type":"event","length":5}\n'),
          Buffer.from(JSON.stringify(event)),
          Buffer.from('\n'),
        ]),
        'invalid_envelope',
      ],
      ['huge header', Buffer.from(`{"x":"${'a'.repeat(20_000)}"}\n`), 'header_too_large'],
      [
        'invalid event JSON',
        envelope({}, [{ type: 'event', payload: '{"oops": ', length: false }]),
        'invalid_json',
      ],
      ['event not an object', envelope({}, [{ type: 'event', payload: '[1,2]' }]), 'invalid_json'],
      ['unknown item type', envelope({}, [{ type: 'evil', payload: {} }]), 'unknown_item_type'],
      ['item without type', Buffer.from('{}\n{"length":2}\n{}\n'), 'invalid_envelope'],
      ['negative length', Buffer.from('{}\n{"type":"event","length":-1}\n{}\n'), 'invalid_envelope'],
    ];
    for (const [name, body, code] of cases) {
      const res = await postIngest(server, project.ingestId, body, { key: project.publicKey });
      expect({ name, status: res.status, code: (res.body.error as { code?: string })?.code }).toEqual({
        name,
        status: 400,
        code,
      });
    }
    const corrupt = await postIngest(server, project.ingestId, Buffer.from('not gzip at all'), {
      key: project.publicKey,
      headers: { 'content-encoding': 'gzip' },
    });
    expect(corrupt).toMatchObject({ status: 400, body: { error: { code: 'invalid_compression' } } });
    const unknownEncoding = await postIngest(server, project.ingestId, Buffer.from('{}'), {
      key: project.publicKey,
      headers: { 'content-encoding': 'zstd-nope' },
    });
    expect(unknownEncoding.status).toBe(415);
    // NUL characters and lone surrogates are stored as replacement characters, not a 500.
    const nasty = `{"event_id":"${newEventId()}","message":"nul \\u0000 and \\ud800 here"}`;
    const stored = await postIngest(server, project.ingestId, nasty, {
      key: project.publicKey,
      kind: 'store',
    });
    expect(stored.status).toBe(200);
    await sendEvent(server, project, exceptionEvent({ type: 'StillWorks' }));
    await issuesOf(api, project.id, (items) => items.some((i) => i.title === 'StillWorks: it broke'));
    await issuesOf(api, project.id, (items) => items.some((i) => i.title.startsWith('nul')));
  });

  it('refuses a body over ERRORS_MAX_EVENT_BYTES, compressed or not (413)', async () => {
    const big = exceptionEvent({ type: 'Big', value: 'x'.repeat(MAX_BYTES) });
    const plain = await postIngest(
      server,
      project.ingestId,
      envelope({}, [{ type: 'event', payload: big }]),
      {
        key: project.publicKey,
      },
    );
    expect(plain).toMatchObject({ status: 413, body: { error: { code: 'payload_too_large' } } });
    // A small gzip body that inflates past the limit (a zip bomb) is refused as it inflates.
    const bomb = gzipSync(envelope({}, [{ type: 'event', payload: big }]));
    expect(bomb.length).toBeLessThan(MAX_BYTES);
    const inflated = await postIngest(server, project.ingestId, bomb, {
      key: project.publicKey,
      headers: { 'content-encoding': 'gzip' },
    });
    expect(inflated).toMatchObject({ status: 413, body: { error: { code: 'payload_too_large' } } });
  });

  it("answers 429 with Retry-After and X-Sentry-Rate-Limits past the project's rate", async () => {
    const limited = await makeProject(api, { rateLimitPerMinute: 3 });
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof postIngest>> | undefined;
    for (let i = 0; i < 5; i++) {
      last = await postIngest(
        server,
        limited.ingestId,
        envelope({}, [{ type: 'event', payload: exceptionEvent({}) }]),
        {
          key: limited.publicKey,
        },
      );
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(last!.body).toMatchObject({ error: { code: 'rate_limited' } });
    const retryAfter = Number(last!.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(last!.headers.get('x-sentry-rate-limits')).toBe(`${retryAfter}::project:project_quota`);
    // Another project is not limited by this one's window.
    await sendEvent(server, project, exceptionEvent({ type: 'Unlimited' }));
  });
});

/**
 * The request path's group commit: requests that arrive together are rate-checked per project in one
 * round trip and stored in one statement, and each is answered once its events are committed. The
 * requests here are made in one turn of the event loop straight on the ingest service, so they share
 * one group commit.
 */
describe('group commit', () => {
  const request = (p: ErrorProject, event: Record<string, unknown> | string) => ({
    kind: 'envelope' as const,
    projectId: p.ingestId,
    body: envelope({}, [{ type: 'event', payload: event }]),
    contentEncoding: undefined,
    authHeader: `Sentry sentry_key=${p.publicKey}`,
    queryKey: undefined,
  });
  const outcome = (p: Promise<{ id: string | null }>) =>
    p.then(
      () => 200,
      (err: { status?: number }) => err.status ?? 500,
    );

  it('fails only the request whose project is gone, and stores the others of its group', async () => {
    const gone = await makeProject(api);
    const kept = await makeProject(api);
    // Both keys are cached; then one project goes behind the cache's back (as a race with its deletion).
    await sendEvent(server, gone, exceptionEvent({ type: 'Warm' }));
    await sendEvent(server, kept, exceptionEvent({ type: 'Warm' }));
    await server.ctx.database.query('delete from error_projects where id = $1', [gone.id]);
    // A number jsonb cannot hold as written (20,000 decimals): the event is stored rewritten, not refused.
    const tiny = `{"event_id":"${newEventId()}","message":"tiny number","extra":{"v":0.${'0'.repeat(20_000)}1}}`;
    const { ingest } = server.domains.errors;
    const statuses = await Promise.all([
      outcome(ingest.receive(request(kept, exceptionEvent({ type: 'Together' })))),
      outcome(ingest.receive(request(gone, exceptionEvent({ type: 'Orphan' })))),
      outcome(ingest.receive(request(kept, tiny))),
      outcome(ingest.receive(request(kept, exceptionEvent({ type: 'Together' })))),
    ]);
    expect(statuses).toEqual([200, 401, 200, 200]);
    const items = await issuesOf(
      api,
      kept.id,
      (list) => totalCount(list.filter((i) => i.title !== 'Warm: it broke')) === 3,
    );
    expect(items.map((i) => i.title).sort()).toEqual(['Together: it broke', 'Warm: it broke', 'tiny number']);
  });

  it("counts a group's requests against the project's rate in the order they came", async () => {
    const limited = await makeProject(api, { rateLimitPerMinute: 3 });
    const { ingest } = server.domains.errors;
    const statuses = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        outcome(ingest.receive(request(limited, exceptionEvent({ type: `Burst${i}` })))),
      ),
    );
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });
});
