import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGetTool } from './http-get.ts';
import { ToolError } from './registry.ts';

let web: Server;
let base: string;

beforeAll(async () => {
  web = createServer((req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('x'.repeat(5000));
    } else if (req.url === '/slow') {
      setTimeout(() => res.writeHead(200).end('late'), 2000).unref();
    } else if (req.url === '/image') {
      res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(100));
    } else if (req.url === '/hop') {
      res.writeHead(301, { location: '/json' }).end();
    } else if (req.url === '/loop') {
      res.writeHead(302, { location: '/loop' }).end();
    } else if (req.url === '/json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
});
afterAll(async () => {
  web.closeAllConnections();
  await new Promise((resolve) => web.close(resolve));
});

const tool = httpGetTool({ allowedHosts: async () => ['127.0.0.1'], timeoutMs: 300, maxBytes: 1000 });
const get = (url: string, signal?: AbortSignal) =>
  tool.execute({ url }, { orgId: 'org_x', agentId: 'agt_x', signal });

describe('http.get', () => {
  it('caps the body and says so', async () => {
    const out = (await get(`${base}/big`)) as { body: string; truncated: boolean };
    expect(out.body).toHaveLength(1000);
    expect(out.truncated).toBe(true);
  });

  it('times out with a clear tool error', async () => {
    const started = Date.now();
    await expect(get(`${base}/slow`)).rejects.toThrow(
      new ToolError(`GET ${base}/slow timed out after 300 ms`),
    );
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('stops at once when the run is cancelled', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(get(`${base}/slow`, controller.signal)).rejects.not.toBeInstanceOf(ToolError);
  });

  it('follows redirects within the allow-list, and not forever', async () => {
    expect(await get(`${base}/hop`)).toMatchObject({ url: `${base}/json`, status: 200, body: '{"ok":true}' });
    await expect(get(`${base}/loop`)).rejects.toThrow(`GET ${base}/loop redirected more than 3 times`);
  });

  it('does not return binary bodies', async () => {
    expect(await get(`${base}/image`)).toMatchObject({
      body: '(image/png content is not shown)',
      contentType: 'image/png',
    });
  });

  it('reports connection failures as tool errors', async () => {
    await expect(get('http://127.0.0.1:1/')).rejects.toThrow(/^GET http:\/\/127\.0\.0\.1:1\/ failed: /);
  });
});
