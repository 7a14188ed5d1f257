import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError } from '../src/platform/errors.ts';
import { parseLogs, startTestServer, type TestServer } from './kit/test-server.ts';
import { NODE_BIN } from './setup/paths.ts';

const run = promisify(execFile);

const LEAKY = 'password=hunter2 at /srv/switchboard/secret.ts:42';

/** Routes that exist only to provoke each kind of failure through the real pipeline. */
function failingRoutes(root: FastifyInstance): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.post(
    '/test/echo',
    {
      config: { auth: 'public' },
      schema: {
        body: z.object({ name: z.string().min(3), count: z.number().int().optional() }),
        response: { 200: z.object({ name: z.string() }) },
      },
    },
    async (request) => ({ name: request.body.name }),
  );
  app.get('/test/boom', { config: { auth: 'public' } }, async () => {
    throw new Error(`boom: ${LEAKY}`);
  });
  app.get('/test/conflict', { config: { auth: 'public' } }, async () => {
    throw new AppError(409, 'conflict', 'agent agt_1 already exists', { id: 'agt_1' });
  });
}

interface Envelope {
  error: { code: string; message: string; details?: unknown; requestId: string };
}

async function json(res: Response): Promise<Envelope> {
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return (await res.json()) as Envelope;
}

describe('the error envelope', () => {
  let server: TestServer;
  let small: TestServer;

  beforeAll(async () => {
    [server, small] = await Promise.all([
      startTestServer({ testRoutes: failingRoutes }),
      startTestServer({ testRoutes: failingRoutes, env: { BODY_LIMIT_BYTES: '1024' } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([server?.close(), small?.close()]);
  });

  it('answers an unknown route with 404 route_not_found', async () => {
    const res = await fetch(`${server.url}/api/v1/nothing-here?x=1`, {
      headers: { 'x-request-id': 'trace-404' },
    });
    expect(res.status).toBe(404);
    expect(await json(res)).toEqual({
      error: {
        code: 'route_not_found',
        message: 'no route for GET /api/v1/nothing-here',
        requestId: 'trace-404',
      },
    });
  });

  it('answers an unknown route with another method the same way', async () => {
    const res = await fetch(`${server.url}/api/v1/nothing-here`, { method: 'DELETE' });
    expect(res.status).toBe(404);
    const body = await json(res);
    expect(body.error.code).toBe('route_not_found');
    expect(body.error.message).toBe('no route for DELETE /api/v1/nothing-here');
  });

  it('answers malformed JSON with 400 invalid_json', async () => {
    const res = await fetch(`${server.url}/test/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name": "abc",',
    });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error).toEqual({
      code: 'invalid_json',
      message: 'the request body is not valid JSON',
      requestId: res.headers.get('x-request-id'),
    });
  });

  it('answers a body that fails its schema with 400 validation_failed and every issue', async () => {
    const res = await fetch(`${server.url}/test/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', count: 1.5 }),
    });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error).toEqual({
      code: 'validation_failed',
      message: 'body.name: Too small: expected string to have >=3 characters',
      details: {
        issues: [
          { path: 'body.name', message: 'Too small: expected string to have >=3 characters' },
          { path: 'body.count', message: 'Invalid input: expected int, received number' },
        ],
      },
      requestId: res.headers.get('x-request-id'),
    });
  });

  it('lets a valid body through', async () => {
    const res = await fetch(`${server.url}/test/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'abc' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ name: 'abc' });
  });

  it('answers a body over BODY_LIMIT_BYTES with 413 payload_too_large', async () => {
    const res = await fetch(`${small.url}/test/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(2000) }),
    });
    expect(res.status).toBe(413);
    const body = await json(res);
    expect(body.error).toEqual({
      code: 'payload_too_large',
      message: 'the request body is too large',
      requestId: res.headers.get('x-request-id'),
    });
  });

  it('answers 413 to fetch however large the body, both when announced and when streamed', async () => {
    // fetch writes its whole body before it reads the answer: a server that hangs up mid-body gives it
    // a reset (EPIPE) instead of the 413. The client runs in a process of its own, as clients do (in
    // this process the server's reads and the client's writes take turns, which hides the reset).
    const script = `
      const url = process.argv[1];
      const big = 'x'.repeat(20 * 1024 * 1024);
      const send = (body, extra) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, ...extra })
        .then(async (res) => [res.status, (await res.json()).error.code], (err) => ['failed', err.cause?.code ?? err.message]);
      const parts = [big.slice(0, 10 * 1024 * 1024), big.slice(10 * 1024 * 1024)];
      const stream = new ReadableStream({ pull(c) { const next = parts.shift(); if (next) c.enqueue(new TextEncoder().encode(next)); else c.close(); } });
      const results = [await send(big), await send(stream, { duplex: 'half' })];
      process.stdout.write(JSON.stringify(results));
    `;
    const { stdout } = await run(NODE_BIN, ['-e', script, `${small.url}/test/echo`]);
    expect(JSON.parse(stdout)).toEqual([
      [413, 'payload_too_large'],
      [413, 'payload_too_large'],
    ]);
  });

  it('answers a path segment over the router limit with 414 in the envelope', async () => {
    const res = await fetch(`${server.url}/api/v1/agents/${'x'.repeat(5000)}`, { method: 'DELETE' });
    expect(res.status).toBe(414);
    const body = await json(res);
    expect(body.error).toEqual({
      code: 'uri_too_long',
      message: 'a path segment of the URL is too long',
      requestId: res.headers.get('x-request-id'),
    });
  });

  it('renders an AppError with its status, code, message and details', async () => {
    const res = await fetch(`${server.url}/test/conflict`);
    expect(res.status).toBe(409);
    expect((await json(res)).error).toEqual({
      code: 'conflict',
      message: 'agent agt_1 already exists',
      details: { id: 'agt_1' },
      requestId: res.headers.get('x-request-id'),
    });
  });

  it('turns an unexpected exception into a bare 500 and logs it in full with the request id', async () => {
    const res = await fetch(`${server.url}/test/boom`, { headers: { 'x-request-id': 'trace-500' } });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({
      error: { code: 'internal_error', message: 'internal server error', requestId: 'trace-500' },
    });
    for (const leak of ['hunter2', 'boom', 'secret.ts', 'stack', '    at ']) expect(text).not.toContain(leak);

    const logged = parseLogs(server.logs).find((line) => line.reqId === 'trace-500' && line.level === 50);
    expect(logged).toMatchObject({ msg: 'unexpected error', err: { message: `boom: ${LEAKY}` } });
    const err = logged?.err as { stack?: string } | undefined;
    expect(err?.stack).toContain('errors.integration.test.ts');
  });
});

describe('request ids', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('echoes the x-request-id the client sends', async () => {
    const res = await fetch(`${server.url}/health`, { headers: { 'x-request-id': 'client-trace.42:a_b-c' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('client-trace.42:a_b-c');
  });

  it('generates one when the client sends none, a different one each time', async () => {
    const [a, b] = await Promise.all([fetch(`${server.url}/health`), fetch(`${server.url}/health`)]);
    const ids = [a.headers.get('x-request-id'), b.headers.get('x-request-id')];
    for (const id of ids) expect(id).toMatch(/^req_[\w-]{16}$/);
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('replaces an unsafe or oversized id instead of echoing it', async () => {
    for (const sent of ['has spaces <script>', 'x'.repeat(129)]) {
      const res = await fetch(`${server.url}/health`, { headers: { 'x-request-id': sent } });
      expect(res.headers.get('x-request-id')).toMatch(/^req_[\w-]{16}$/);
    }
  });

  it('puts the request id on every log line of a request', async () => {
    await fetch(`${server.url}/health?token=should-not-be-logged`, {
      headers: { 'x-request-id': 'trace-log-1' },
    });
    const lines = parseLogs(server.logs);
    const mine = lines.filter((line) => line.reqId === 'trace-log-1');
    expect(mine.map((line) => line.msg)).toEqual(['incoming request', 'request completed']);
    expect(mine[0]).toMatchObject({ req: { method: 'GET', url: '/health' } });
    expect(mine[1]).toMatchObject({ res: { statusCode: 200 } });
    // Every line about a request, of any request so far, carries its id.
    const requestLines = lines.filter((line) => 'req' in line || 'res' in line);
    expect(requestLines.length).toBeGreaterThanOrEqual(2);
    for (const line of requestLines) expect(line.reqId).toEqual(expect.any(String));
    expect(server.logs.join('\n')).not.toContain('should-not-be-logged');
  });
});
