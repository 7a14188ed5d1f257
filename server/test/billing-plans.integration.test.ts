import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOperatorServer } from './kit/operator.ts';
import { storageMode, type TestServer, uniqueSuffix } from './kit/test-server.ts';
import { addMember, call, registerOwner, type Session, testPassword, uniqueEmail } from './kit/users.ts';

/**
 * Plans and their limits on a server without Stripe (the manual gateway): subscribing starts the plan at
 * once, its monthly budget becomes the org's hard budget, and seats and agents are refused past the plan.
 */

let server: TestServer;
let operator: Session;
let owner: Session;
const small = `small-${uniqueSuffix()}`;
const large = `large-${uniqueSuffix()}`;

const planBody = (name: string, limits: Record<string, number>) => ({ name, priceUsdMonthly: 10, limits });

beforeAll(async () => {
  ({ server, admin: operator } = await startOperatorServer());
  owner = await registerOwner(server, 'customer');
});
afterAll(async () => {
  await server?.close();
});

interface Sub {
  planId: string | null;
  status: string;
  gateway: string | null;
  checkout: boolean;
  plan: { id: string } | null;
  usage: Record<string, { used: number; limit: number | null }>;
}

describe('plans (manual gateway)', () => {
  it('are the operator admins’ to define; everyone reads them', async () => {
    const denied = await call(server, 'PUT', `/api/v1/admin/billing/plans/${small}`, {
      token: owner.accessToken,
      body: planBody('Small', { seats: 2, agents: 2 }),
    });
    expect(denied.status).toBe(403);
    expect((denied.body as { error: { code: string } }).error.code).toBe('not_operator');
    const put = await call(server, 'PUT', `/api/v1/admin/billing/plans/${small}`, {
      token: operator.accessToken,
      body: planBody('Small', { seats: 2, agents: 2, monthlyBudgetUsd: 5 }),
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ id: small, limits: { seats: 2, agents: 2, monthlyBudgetUsd: 5 } });
    await call(server, 'PUT', `/api/v1/admin/billing/plans/${large}`, {
      token: operator.accessToken,
      body: planBody('Large', { seats: 50 }),
    });
    const list = await call<{ items: Array<{ id: string }> }>(server, 'GET', '/api/v1/billing/plans', {
      token: owner.accessToken,
    });
    expect(list.body.items.map((p) => p.id)).toEqual(expect.arrayContaining([small, large]));
  });

  it('start at once without Stripe, and the plan budget is a hard monthly budget the org cannot delete', async () => {
    const res = await call<{ checkoutUrl: string | null; subscription: Sub }>(
      server,
      'POST',
      '/api/v1/billing/subscription',
      { token: owner.accessToken, body: { planId: small } },
    );
    expect(res.status).toBe(200);
    expect(res.body.checkoutUrl).toBeNull();
    expect(res.body.subscription).toMatchObject({
      planId: small,
      status: 'active',
      gateway: 'manual',
      checkout: false,
    });
    expect(res.body.subscription.usage).toEqual({
      seats: { used: 1, limit: 2 },
      // The org's starter agent, Assistant, holds one place.
      agents: { used: 1, limit: 2 },
      monthlyBudgetUsd: { used: 0, limit: 5 },
    });
    const budgets = await call<{
      items: Array<{ id: string; source: string; limitUsd: number; hard: boolean; period: string }>;
    }>(server, 'GET', '/api/v1/usage/budgets', { token: owner.accessToken });
    const fromPlan = budgets.body.items.find((b) => b.source === 'plan')!;
    expect(fromPlan).toMatchObject({ limitUsd: 5, hard: true, period: 'month' });
    const del = await call(server, 'DELETE', `/api/v1/usage/budgets/${fromPlan.id}`, {
      token: owner.accessToken,
    });
    expect(del.status).toBe(409);
  });

  it('refuse an agent and a seat past the plan with 402 plan_limit naming the limit', async () => {
    // Three at once against the one place left (the starter agent holds the other): the per-org lock
    // lets exactly one through.
    const racing = await Promise.all(
      [1, 2, 3].map((n) =>
        call(server, 'POST', '/api/v1/agents', { token: owner.accessToken, body: { name: `racer ${n}` } }),
      ),
    );
    expect(racing.map((r) => r.status).sort()).toEqual([201, 402, 402]);
    const agent = await call(server, 'POST', '/api/v1/agents', {
      token: owner.accessToken,
      body: { name: 'one too many' },
    });
    expect(agent.status).toBe(402);
    expect(agent.body).toMatchObject({
      error: { code: 'plan_limit', details: { limit: 'agents', allowed: 2, used: 2, planId: small } },
    });
    await addMember(server, owner, 'member');
    const roles = await call<{ items: Array<{ id: string; name: string }> }>(server, 'GET', '/api/v1/roles', {
      token: owner.accessToken,
    });
    const viewer = roles.body.items.find((r) => r.name === 'viewer')!.id;
    const third = await call(server, 'POST', '/api/v1/members', {
      token: owner.accessToken,
      body: { email: uniqueEmail('seat'), roleId: viewer, name: 'Seat', password: testPassword() },
    });
    expect(third.status).toBe(402);
    expect(third.body).toMatchObject({
      error: { code: 'plan_limit', details: { limit: 'seats', allowed: 2, used: 2 } },
    });
  });

  it("follow the operator's change of the plan: the org's budget takes the new limit", async () => {
    await call(server, 'PUT', `/api/v1/admin/billing/plans/${small}`, {
      token: operator.accessToken,
      body: planBody('Small', { seats: 2, agents: 2, monthlyBudgetUsd: 7 }),
    });
    const budgets = await call<{ items: Array<{ source: string; limitUsd: number }> }>(
      server,
      'GET',
      '/api/v1/usage/budgets',
      {
        token: owner.accessToken,
      },
    );
    expect(budgets.body.items.filter((b) => b.source === 'plan').map((b) => b.limitUsd)).toEqual([7]);
    const inUse = await call(server, 'DELETE', `/api/v1/admin/billing/plans/${small}`, {
      token: operator.accessToken,
    });
    expect(inUse.status).toBe(409);
  });

  it('change directly (PATCH), lifting the limits; cancel ends a manual plan and its budget', async () => {
    const changed = await call<Sub>(server, 'PATCH', '/api/v1/billing/subscription', {
      token: owner.accessToken,
      body: { planId: large },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ planId: large, status: 'active' });
    expect(changed.body.usage.agents).toEqual({ used: 2, limit: null });
    expect(
      (
        await call(server, 'POST', '/api/v1/agents', {
          token: owner.accessToken,
          body: { name: 'now allowed' },
        })
      ).status,
    ).toBe(201);
    let budgets = await call<{ items: Array<{ source: string }> }>(server, 'GET', '/api/v1/usage/budgets', {
      token: owner.accessToken,
    });
    expect(budgets.body.items.filter((b) => b.source === 'plan')).toEqual([]);

    await call(server, 'PATCH', '/api/v1/billing/subscription', {
      token: owner.accessToken,
      body: { planId: small },
    });
    const cancelled = await call<Sub>(server, 'DELETE', '/api/v1/billing/subscription', {
      token: owner.accessToken,
    });
    expect(cancelled.body).toMatchObject({ status: 'canceled', plan: null });
    budgets = await call(server, 'GET', '/api/v1/usage/budgets', { token: owner.accessToken });
    expect(budgets.body.items.filter((b) => b.source === 'plan')).toEqual([]);
    expect(
      (await call(server, 'DELETE', '/api/v1/billing/subscription', { token: owner.accessToken })).status,
    ).toBe(404);
  });

  it('shows in the audit log and the activity feed; only owners change the subscription', async () => {
    await server.domains.audit.recorder.flush();
    const feed = await call<{ items: Array<{ kind: string; summary: string }> }>(
      server,
      'GET',
      '/api/v1/updates?limit=100',
      {
        token: owner.accessToken,
      },
    );
    const billing = feed.body.items.filter((u) => u.kind === 'subscription.changed').map((u) => u.summary);
    expect(billing).toEqual(
      expect.arrayContaining([`started the ${small} plan`, `changed the plan from ${small} to ${large}`]),
    );
    const admin = await addMember(server, owner, 'admin').catch(() => undefined);
    // The seat limit no longer applies after the cancel, so an admin joins; admins hold no billing:manage.
    expect(admin).toBeDefined();
    const denied = await call(server, 'POST', '/api/v1/billing/subscription', {
      token: admin!.accessToken,
      body: { planId: large },
    });
    expect(denied.status).toBe(403);
    const portal = await call(server, 'POST', '/api/v1/billing/portal', { token: owner.accessToken });
    expect(portal.status).toBe(409);
    expect((portal.body as { error: { code: string } }).error.code).toBe('stripe_not_configured');
  });

  // `default` is platform-wide: on the PostgreSQL run every test server shares one database, so only the
  // embedded run (a database of its own) may define it.
  it.skipIf(storageMode === 'postgres')(
    'give orgs without a live subscription the `default` plan, new orgs included, until it is deleted',
    async () => {
      const saved = await call(server, 'PUT', '/api/v1/admin/billing/plans/default', {
        token: operator.accessToken,
        body: planBody('Free', { agents: 1, monthlyBudgetUsd: 3 }),
      });
      expect(saved.status).toBe(200);
      const newcomer = await registerOwner(server, 'newcomer');
      // Its starter agent fits the plan's one agent; nothing more does.
      const starter = await call<{ items: Array<{ name: string }> }>(server, 'GET', '/api/v1/agents', {
        token: newcomer.accessToken,
      });
      expect(starter.body.items.map((a) => a.name)).toEqual(['Assistant']);
      expect(
        (
          await call(server, 'POST', '/api/v1/agents', {
            token: newcomer.accessToken,
            body: { name: 'second' },
          })
        ).status,
      ).toBe(402);
      for (const who of [owner, newcomer]) {
        const sub = await call<Sub>(server, 'GET', '/api/v1/billing/subscription', {
          token: who.accessToken,
        });
        expect(sub.body.plan?.id).toBe('default');
        const budgets = await call<{ items: Array<{ source: string; limitUsd: number }> }>(
          server,
          'GET',
          '/api/v1/usage/budgets',
          { token: who.accessToken },
        );
        expect(budgets.body.items.filter((b) => b.source === 'plan').map((b) => b.limitUsd)).toEqual([3]);
      }
      const refused = await call(server, 'POST', '/api/v1/agents', {
        token: owner.accessToken,
        body: { name: 'over the default' },
      });
      expect(refused.status).toBe(402);
      expect(
        (await call(server, 'DELETE', '/api/v1/admin/billing/plans/default', { token: operator.accessToken }))
          .status,
      ).toBe(204);
      const after = await call<{ items: Array<{ source: string }> }>(server, 'GET', '/api/v1/usage/budgets', {
        token: newcomer.accessToken,
      });
      expect(after.body.items.filter((b) => b.source === 'plan')).toEqual([]);
    },
  );
});
