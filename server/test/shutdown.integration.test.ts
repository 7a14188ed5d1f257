import http from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './kit/test-server.ts';

interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
}

/** A GET through node:http, so the test decides whether the connection is kept alive. */
function get(url: string, agent: http.Agent | false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }),
        );
      })
      .on('error', reject);
  });
}

/** A route that answers after 300 ms, and a promise that resolves once a request is inside it. */
function slowRoute() {
  let started!: () => void;
  const handlerStarted = new Promise<void>((resolve) => {
    started = resolve;
  });
  const testRoutes = (app: FastifyInstance) => {
    app.get('/test/slow', { config: { auth: 'public' } }, async () => {
      started();
      await new Promise((resolve) => setTimeout(resolve, 300));
      return { done: true };
    });
  };
  return { handlerStarted, testRoutes };
}

describe('graceful shutdown', () => {
  let server: TestServer | undefined;
  let agent: http.Agent | undefined;
  afterEach(async () => {
    agent?.destroy();
    await server?.close();
  });

  it('lets an in-flight request finish, then refuses new connections', async () => {
    const { handlerStarted, testRoutes } = slowRoute();
    server = await startTestServer({ testRoutes });
    const { url } = server;

    const inFlight = get(`${url}/test/slow`, false);
    await handlerStarted;
    const closed = server.close();

    expect(await inFlight).toMatchObject({ status: 200, body: '{"done":true}' });
    await closed;
    await expect(get(`${url}/health`, false)).rejects.toThrow('ECONNREFUSED');
  });

  // Without `connection: close` on answers sent while closing, close() — and SIGTERM — would wait for
  // the client or the 72 s keep-alive timeout.
  it('tells a keep-alive client to close the connection when it answers during shutdown', async () => {
    const { handlerStarted, testRoutes } = slowRoute();
    server = await startTestServer({ testRoutes });
    agent = new http.Agent({ keepAlive: true });

    const inFlight = get(`${server.url}/test/slow`, agent);
    await handlerStarted;
    const closed = server.close();
    const answer = await inFlight;
    // Destroying the client's sockets lets close() finish whether or not the server closed them.
    agent.destroy();
    await closed;
    expect(answer).toEqual({ status: 200, connection: 'close', body: '{"done":true}' });
  });
});
