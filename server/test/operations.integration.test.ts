import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, storageMode, type TestServer } from './kit/test-server.ts';

describe('operations endpoints', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('GET /health answers 200 {status:"ok"}', async () => {
    const { data, response } = await server.api.GET('/health');
    expect(response.status).toBe(200);
    expect(data).toEqual({ status: 'ok' });
  });

  it('GET /health/ready answers 200 with every dependency answering, the database among them', async () => {
    const { data, error, response } = await server.api.GET('/health/ready');
    expect(error).toBeUndefined();
    expect(response.status).toBe(200);
    expect(data?.status).toBe('ready');
    expect(Object.keys(data?.checks ?? {})).toEqual([...server.ctx.readiness.keys()]);
    expect(data?.checks.database).toEqual({ ok: true });
    for (const check of Object.values(data?.checks ?? {})) expect(check).toEqual({ ok: true });
    expect(server.ctx.database.kind).toBe(storageMode);
  });

  it('GET /metrics counts requests by route pattern', async () => {
    await server.api.GET('/health');
    await fetch(`${server.url}/api/v1/no/such/route`);
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain('# TYPE http_requests_total counter');
    expect(text).toMatch(/^http_requests_total\{method="GET",route="\/health",status="200"\} [1-9]\d*$/m);
    // Unknown URLs share one label, so a scanner cannot blow up the metric's cardinality.
    expect(text).toMatch(/^http_requests_total\{method="GET",route="unmatched",status="404"\} [1-9]\d*$/m);
    expect(text).not.toContain('/no/such/route');
    expect(text).toContain('http_request_duration_seconds_bucket');
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('GET /openapi.json is an OpenAPI 3.1 document of the routes, keys sorted', async () => {
    const res = await fetch(`${server.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      info: { title: string };
      paths: Record<string, Record<string, { operationId?: string }>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('Switchboard API');
    expect(doc.paths['/health']?.get?.operationId).toBe('getHealth');
    expect(doc.paths['/health/ready']?.get?.operationId).toBe('getReadiness');
    expect(Object.keys(doc)).toEqual([...Object.keys(doc)].sort());
    expect(Object.keys(doc.paths)).toEqual([...Object.keys(doc.paths)].sort());
  });

  it('GET /docs serves the API reference page', async () => {
    const res = await fetch(`${server.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('swagger-ui');
  });

  it('sets the security headers (helmet)', async () => {
    const res = await fetch(`${server.url}/health`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'self'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('sends no CORS headers when CORS_ORIGINS is empty', async () => {
    const res = await fetch(`${server.url}/health`, { headers: { origin: 'https://console.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  // Last in this file: it closes the server's database.
  it('GET /health/ready answers 503 naming the database once it stops answering', async () => {
    await server.ctx.database.close();
    const { data, error, response } = await server.api.GET('/health/ready', {
      headers: { 'x-request-id': 'trace-ready' },
    });
    expect(data).toBeUndefined();
    expect(response.status).toBe(503);
    const details = error?.error.details as
      | { checks: Record<string, { ok: boolean; error?: string }> }
      | undefined;
    const checks = details?.checks ?? {};
    expect(checks.database).toEqual({ ok: false, error: expect.any(String) });
    // Dependencies that live in the database (e.g. the queue) fail with it; the message names each one.
    const failed = Object.keys(checks).filter((name) => !checks[name]?.ok);
    expect(error).toEqual({
      error: {
        code: 'not_ready',
        message: `not ready: ${failed.join(', ')} failed`,
        details: { checks },
        requestId: 'trace-ready',
      },
    });
    // Liveness does not depend on the database.
    expect((await server.api.GET('/health')).response.status).toBe(200);
  });
});

describe('CORS with CORS_ORIGINS', () => {
  let server: TestServer;
  const allowed = 'https://console.example';
  beforeAll(async () => {
    server = await startTestServer({ env: { CORS_ORIGINS: `${allowed}, https://other.example` } });
  });
  afterAll(async () => {
    await server?.close();
  });

  function preflight(origin: string): Promise<Response> {
    return fetch(`${server.url}/health/ready`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
  }

  it('answers a preflight from an allowed origin', async () => {
    const res = await preflight(allowed);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(allowed);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-allow-headers')).toBe('authorization');
  });

  it('does not allow another origin', async () => {
    const res = await preflight('https://evil.example');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('lets an allowed origin read the request id of an actual request', async () => {
    const res = await fetch(`${server.url}/health`, { headers: { origin: allowed } });
    expect(res.headers.get('access-control-allow-origin')).toBe(allowed);
    expect(res.headers.get('access-control-expose-headers')).toContain('x-request-id');
  });
});

describe('the console', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('serves the built console at /', async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('<div id="root"></div>');
    expect(html).toMatch(/<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js"><\/script>/);
  });

  it('answers a client-side route of the console with the same page', async () => {
    const res = await fetch(`${server.url}/runs/run_1`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<div id="root"></div>');
  });

  it('keeps the JSON 404 for API paths, even for a browser', async () => {
    const res = await fetch(`${server.url}/api/v1/no-such-collection/x_1`, {
      headers: { accept: 'text/html' },
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('route_not_found');
  });
});
