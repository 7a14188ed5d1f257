import { describe, expect, it } from 'vitest';
import { deliver, stripeEvent, WEBHOOK_SECRET } from '../../server/test/kit/stripe.ts';
import type { TestServer } from '../../server/test/kit/test-server.ts';
import {
  type Account,
  nav,
  newAccount,
  openPage,
  shot,
  signIn,
  unexpected,
  useBrowserAndServer,
} from './kit.ts';

/**
 * The Billing page (issue "Billing"): without Stripe an owner changes plan at once and sees the new
 * limits; a payment-failed webhook from Stripe shows its notice live.
 */

const OPERATOR = { email: `operator-${Date.now()}@example.com`, password: 'e2e operator password 1' };
const suffix = String(Date.now());
const starter = `starter-${suffix}`;
const growth = `growth-${suffix}`;

async function definePlans(server: TestServer) {
  await server.domains.identity.auth.ensureOwner(OPERATOR);
  const login = await server.api.POST('/api/v1/auth/login', { body: OPERATOR });
  const auth = { headers: { Authorization: `Bearer ${login.data!.accessToken}` } };
  for (const [id, name, limits] of [
    [starter, 'Starter', { seats: 3, agents: 1, monthlyBudgetUsd: 5 }],
    [growth, 'Growth', { seats: 20, agents: 10, monthlyBudgetUsd: 50 }],
  ] as const) {
    const res = await server.api.PUT('/api/v1/admin/billing/plans/{id}', {
      ...auth,
      params: { path: { id } },
      body: { name, priceUsdMonthly: name === 'Starter' ? 9 : 49, limits },
    });
    expect(res.response.status).toBe(200);
  }
}

async function orgOf(server: TestServer, account: Account): Promise<string> {
  const me = await server.api.GET('/api/v1/auth/me', account.auth);
  return me.data!.org.id;
}

describe('the Billing page', () => {
  const suite = useBrowserAndServer({
    env: {
      SWITCHBOARD_ADMIN_EMAIL: OPERATOR.email,
      SWITCHBOARD_ADMIN_PASSWORD: OPERATOR.password,
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    },
  });

  it('lets an owner change plan at once and shows the new limits', async () => {
    await definePlans(suite.server);
    const owner = await newAccount(suite.server, 'Olga Owner');
    const { page, problems, close } = await openPage(suite.browser);
    suite.closeAfterTest(close);
    await signIn(page, suite.server, owner);
    await nav(page, 'Billing').click();
    await page.getByRole('heading', { name: 'Billing', level: 1 }).waitFor();
    await expect.poll(() => page.getByTestId('billing-plan').textContent()).toBe('No plan');

    await page.getByRole('button', { name: 'Choose Starter' }).click();
    await expect.poll(() => page.getByTestId('billing-plan').textContent()).toBe('Starter');
    // The org's starter agent, Assistant, counts against the plan.
    expect(await page.getByTestId('billing-agents').textContent()).toBe('1 of 1');
    expect(await page.getByTestId('billing-seats').textContent()).toBe('1 of 3');
    expect(await page.getByTestId('billing-budget').textContent()).toBe('$0 of $5.00');

    await page.getByRole('button', { name: 'Choose Growth' }).click();
    await expect.poll(() => page.getByTestId('billing-plan').textContent()).toBe('Growth');
    expect(await page.getByTestId('billing-agents').textContent()).toBe('1 of 10');
    expect(await page.getByTestId('billing-budget').textContent()).toBe('$0 of $50.00');
    await shot(page, 'billing-page');
    expect(unexpected(problems, [])).toEqual([]);
  });

  it('shows a failed payment live, with its invoice', async () => {
    const owner = await newAccount(suite.server, 'Pavel Payer');
    const orgId = await orgOf(suite.server, owner);
    const started = await suite.server.api.POST('/api/v1/billing/subscription', {
      ...owner.auth,
      body: { planId: starter },
    });
    expect(started.response.status).toBe(200);
    const { page, problems, close } = await openPage(suite.browser, { colorScheme: 'dark' });
    suite.closeAfterTest(close);
    await signIn(page, suite.server, owner);
    await expect.poll(() => page.getByTestId('connection-state').textContent()).toBe('Live');
    await nav(page, 'Billing').click();
    await expect.poll(() => page.getByTestId('billing-plan').textContent()).toBe('Starter');

    const invoiceId = `in_e2e_${suffix}`;
    const event = stripeEvent('invoice.payment_failed', {
      id: invoiceId,
      object: 'invoice',
      customer: `cus_e2e_${suffix}`,
      amount_due: 900,
      amount_paid: 0,
      currency: 'usd',
      metadata: { orgId },
    });
    expect((await deliver(suite.server, event)).status).toBe(200);
    await page.getByTestId('billing-alert').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('billing-alert').textContent()).toContain(invoiceId);
    await expect.poll(() => page.getByTestId('billing-invoices').textContent()).toContain(invoiceId);
    await expect
      .poll(() => page.getByTestId('billing-events').textContent())
      .toContain('invoice.payment_failed');
    await shot(page, 'billing-payment-failed-dark');
    expect(unexpected(problems, [])).toEqual([]);
  });

  it("gives the operator's admins the plan editor and every org's Stripe events", async () => {
    const { page, problems, close } = await openPage(suite.browser);
    suite.closeAfterTest(close);
    await signIn(page, suite.server, OPERATOR);
    await nav(page, 'Billing').click();
    await page.getByRole('heading', { name: 'Plans you sell' }).waitFor();
    await page
      .getByTestId('plan-table')
      .getByRole('row', { name: /Starter/ })
      .getByRole('button', { name: 'Edit' })
      .click();
    const form = page.getByRole('form', { name: `Edit plan ${starter}` });
    await form.getByLabel('Agents').fill('2');
    await form.getByRole('button', { name: 'Save plan' }).click();
    await expect.poll(() => page.getByTestId(`plan-${starter}`).textContent()).toContain('2 agents');
    await expect
      .poll(() => page.getByTestId('billing-events').textContent())
      .toContain('invoice.payment_failed');
    await shot(page, 'billing-operator');
    expect(unexpected(problems, [])).toEqual([]);
  });
});
