import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../src/webhooks/service.ts';
import { makeAgent } from './kit/agents.ts';
import { clientAs } from './kit/api-client.ts';
import { submitRun, waitForRun } from './kit/runs.ts';
import { startTestServer, type TestServer } from './kit/test-server.ts';
import { addMember, registerOwner } from './kit/users.ts';

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
}

let server: TestServer;
let receiver: Server;
let receiverUrl: string;
const deliveries: Delivery[] = [];
/** Status codes the receiver answers with, in order; then 200. */
let script: number[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body });
      res.writeHead(script.shift() ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks`;
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

async function waitForDeliveries(n: number): Promise<void> {
  for (let i = 0; i < 600 && deliveries.length < n; i++) await new Promise((r) => setTimeout(r, 50));
}

describe('run completion webhooks', () => {
  it('signs with a timestamped HMAC, retries a failing endpoint, and shows the secret once', async () => {
    const owner = await registerOwner(server);
    const api = clientAs(server, owner);
    const put = await api.PUT('/api/v1/webhooks', { body: { url: receiverUrl } });
    expect(put.response.status).toBe(200);
    expect(put.data!.secret).toMatch(/^whsec_/);
    const got = await api.GET('/api/v1/webhooks');
    expect(got.data).toMatchObject({ url: receiverUrl });
    expect(JSON.stringify(got.data)).not.toContain(put.data!.secret);

    script = [500]; // the first attempt fails; the retry succeeds
    deliveries.length = 0;
    const agent = await makeAgent(server, owner);
    const run = await submitRun(server, owner, { agentId: agent.id, input: 'notify me' });
    await waitForRun(server, owner, run.id, ['succeeded']);
    await waitForDeliveries(2);
    expect(deliveries).toHaveLength(2);

    for (const d of deliveries) {
      const signature = String(d.headers['switchboard-signature']);
      const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature) ?? [];
      expect(t).toBeDefined();
      const expected = createHmac('sha256', put.data!.secret).update(`${t}.${d.body}`).digest('hex');
      expect(v1).toBe(expected);
      expect(Math.abs(Date.now() / 1000 - Number(t))).toBeLessThan(600);
      expect(d.headers['switchboard-event']).toBe('run.finished');
      expect(JSON.parse(d.body)).toMatchObject({
        type: 'run.finished',
        run: { id: run.id, status: 'succeeded' },
      });
    }
    // Both attempts are the same delivery.
    expect(deliveries[0]!.headers['switchboard-delivery']).toBe(
      deliveries[1]!.headers['switchboard-delivery'],
    );
  });

  it('signs the way receivers verify it', () => {
    expect(signWebhook('whsec_test', '{"a":1}', 1_700_000_000)).toBe(
      `t=1700000000,v1=${createHmac('sha256', 'whsec_test').update('1700000000.{"a":1}').digest('hex')}`,
    );
  });

  it('validates the URL, needs runs:write to change it, and 404s when none is set', async () => {
    const owner = await registerOwner(server);
    const api = clientAs(server, owner);
    const none = await api.GET('/api/v1/webhooks');
    expect(none.response.status).toBe(404);
    expect(none.error).toMatchObject({ error: { code: 'not_found', message: 'webhook was not found' } });
    const bad = await api.PUT('/api/v1/webhooks', { body: { url: 'ftp://x' } });
    expect(bad.response.status).toBe(400);
    const viewer = await addMember(server, owner, 'viewer');
    const denied = await clientAs(server, viewer).PUT('/api/v1/webhooks', { body: { url: receiverUrl } });
    expect(denied.response.status).toBe(403);
    expect((await api.DELETE('/api/v1/webhooks')).response.status).toBe(404);
  });
});
