import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAgent } from './agents-kit.ts';
import { call, login, registerOwner, type Session, testPassword, uniqueEmail } from './factories.ts';
import { startTestServer, type TestServer } from './harness.ts';
import { submitRun, waitForRun } from './runs-kit.ts';

let server: TestServer;
let operator: Session;

beforeAll(async () => {
  // The operator org is the start-up admin's.
  const email = uniqueEmail('operator');
  const password = testPassword();
  server = await startTestServer({
    env: { SWITCHBOARD_ADMIN_EMAIL: email, SWITCHBOARD_ADMIN_PASSWORD: password },
  });
  await server.domains.identity.auth.ensureOwner({ email, password });
  operator = await login(server, email, password);
});
afterAll(async () => {
  await server?.close();
});

describe('control room: execution metrics and agent health', () => {
  it('counts runs by status, their durations and each agent’s success rate', async () => {
    const agent = await makeAgent(server, operator);
    const ok = await submitRun(server, operator, { agentId: agent.id, input: 'fine' });
    const bad = await submitRun(server, operator, { agentId: agent.id, input: '/fail broken' });
    await waitForRun(server, operator, ok.id, ['succeeded']);
    await waitForRun(server, operator, bad.id, ['failed']);

    const metrics = await call<{
      runsByStatus: Record<string, number>;
      finished: number;
      durationMs: { p50: number | null };
      finishedByStatus: Record<string, { count: number }>;
      throughputPerMinute: number;
      bucketMs: number;
      series: Array<{ at: string; succeeded: number; failed: number; cancelled: number }>;
    }>(server, 'GET', '/api/v1/admin/control-room/execution-metrics?window=1h', {
      token: operator.accessToken,
    });
    expect(metrics.status).toBe(200);
    expect(metrics.body.runsByStatus.succeeded).toBeGreaterThanOrEqual(1);
    expect(metrics.body.runsByStatus.failed).toBeGreaterThanOrEqual(1);
    expect(metrics.body.finished).toBeGreaterThanOrEqual(2);
    expect(metrics.body.durationMs.p50).not.toBeNull();
    expect(metrics.body.finishedByStatus.failed?.count).toBeGreaterThanOrEqual(1);
    expect(metrics.body.throughputPerMinute).toBeGreaterThan(0);
    // The series covers the whole hour minute by minute, and adds up to the window's totals.
    const { series, bucketMs } = metrics.body;
    expect(bucketMs).toBe(60_000);
    expect(series.length).toBeGreaterThanOrEqual(60);
    expect(Date.parse(series.at(-1)!.at) - Date.parse(series[0]!.at)).toBe(bucketMs * (series.length - 1));
    const sum = (status: 'succeeded' | 'failed' | 'cancelled') => series.reduce((n, b) => n + b[status], 0);
    expect(sum('failed')).toBe(metrics.body.finishedByStatus.failed?.count);
    expect(sum('succeeded') + sum('failed') + sum('cancelled')).toBeGreaterThanOrEqual(2);

    const health = await call<{
      items: Array<{
        agentId: string;
        runs: number;
        successRate: number;
        slug: string;
        orgName: string | null;
      }>;
    }>(server, 'GET', '/api/v1/admin/control-room/agent-health?window=24h', { token: operator.accessToken });
    expect(health.status).toBe(200);
    const row = health.body.items.find((i) => i.agentId === agent.id);
    expect(row).toMatchObject({ runs: 2, successRate: 0.5, slug: agent.slug, orgName: expect.any(String) });

    const stats = await call<{ figures: Record<string, number> }>(
      server,
      'GET',
      '/api/v1/admin/control-room/statistics',
      { token: operator.accessToken },
    );
    expect(stats.body.figures).toHaveProperty('unfinishedRuns');
  });

  it('belongs to the operator org only, and validates the window', async () => {
    const stranger = await registerOwner(server);
    const res = await call(server, 'GET', '/api/v1/admin/control-room/execution-metrics', {
      token: stranger.accessToken,
    });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: { code: 'not_operator' } });
    const health = await call(server, 'GET', '/api/v1/admin/control-room/agent-health', {
      token: stranger.accessToken,
    });
    expect(health.status).toBe(403);
    const bad = await call(server, 'GET', '/api/v1/admin/control-room/execution-metrics?window=1y', {
      token: operator.accessToken,
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'validation_failed' } });
  });
});
