import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAgent } from './kit/agents.ts';
import { clientAs } from './kit/api-client.ts';
import { startOperatorServer } from './kit/operator.ts';
import { submitRun, waitForRun } from './kit/runs.ts';
import type { TestServer } from './kit/test-server.ts';
import { registerOwner, type Session } from './kit/users.ts';

let server: TestServer;
let operator: Session;

beforeAll(async () => {
  ({ server, admin: operator } = await startOperatorServer());
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

    const asOperator = clientAs(server, operator);
    const metrics = await asOperator.GET('/api/v1/admin/control-room/execution-metrics', {
      params: { query: { window: '1h' } },
    });
    expect(metrics.response.status).toBe(200);
    expect(metrics.data!.runsByStatus.succeeded).toBeGreaterThanOrEqual(1);
    expect(metrics.data!.runsByStatus.failed).toBeGreaterThanOrEqual(1);
    expect(metrics.data!.finished).toBeGreaterThanOrEqual(2);
    expect(metrics.data!.durationMs.p50).not.toBeNull();
    expect(metrics.data!.finishedByStatus.failed?.count).toBeGreaterThanOrEqual(1);
    expect(metrics.data!.throughputPerMinute).toBeGreaterThan(0);
    // The series covers the whole hour minute by minute, and adds up to the window's totals.
    const { series, bucketMs } = metrics.data!;
    expect(bucketMs).toBe(60_000);
    expect(series.length).toBeGreaterThanOrEqual(60);
    expect(Date.parse(series.at(-1)!.at) - Date.parse(series[0]!.at)).toBe(bucketMs * (series.length - 1));
    const sum = (status: 'succeeded' | 'failed' | 'cancelled') => series.reduce((n, b) => n + b[status], 0);
    expect(sum('failed')).toBe(metrics.data!.finishedByStatus.failed?.count);
    expect(sum('succeeded') + sum('failed') + sum('cancelled')).toBeGreaterThanOrEqual(2);

    const health = await asOperator.GET('/api/v1/admin/control-room/agent-health', {
      params: { query: { window: '24h' } },
    });
    expect(health.response.status).toBe(200);
    const row = health.data!.items.find((i) => i.agentId === agent.id);
    expect(row).toMatchObject({ runs: 2, successRate: 0.5, slug: agent.slug, orgName: expect.any(String) });

    const stats = await asOperator.GET('/api/v1/admin/control-room/statistics');
    expect(stats.data!.figures).toHaveProperty('unfinishedRuns');
  });

  it('belongs to the operator org only, and validates the window', async () => {
    const stranger = await registerOwner(server);
    const asStranger = clientAs(server, stranger);
    const res = await asStranger.GET('/api/v1/admin/control-room/execution-metrics');
    expect(res.response.status).toBe(403);
    expect(res.error).toMatchObject({ error: { code: 'not_operator' } });
    const health = await asStranger.GET('/api/v1/admin/control-room/agent-health');
    expect(health.response.status).toBe(403);
    // A window the API does not know (the same query string the typed client sends for a known one).
    const bad = await clientAs(server, operator).GET('/api/v1/admin/control-room/execution-metrics', {
      params: { query: { window: '1y' as '1h' } },
    });
    expect(bad.response.status).toBe(400);
    expect(bad.error).toMatchObject({ error: { code: 'validation_failed' } });
  });
});
