import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../server/test/kit/test-server.ts';
import {
  addMember,
  emailFor,
  fillSignIn,
  nav,
  newAccount,
  openPage,
  register,
  shot,
  signIn,
  startBrowserAndServer,
  tokenOf,
  unexpected,
} from './kit.ts';

/** A diff's lines of one kind, without their −/+ mark and the words screen readers hear. */
async function diffTexts(page: Page, field: string, kind: 'added' | 'removed'): Promise<string[]> {
  const texts = await page.getByTestId(`diff-${field}`).locator(`.diff-${kind}`).allTextContents();
  return texts.map((t) => t.replace(/^[−+](added|removed): /, ''));
}

/** A form field by its label (the version diff labels its lists by field name too). */
const field = (page: Page, name: string) => page.getByRole('textbox', { name });

describe('agents (versions, restore, delete) and the control room charts', () => {
  let browser: Browser;
  let server: TestServer;
  let stop: (() => Promise<void>) | undefined;
  const operator = { email: emailFor('ops'), password: 'operator password 1' };

  beforeAll(async () => {
    // The operator org is the start-up admin's; the harness does not run the start-up, so the test does.
    ({ browser, server, stop } = await startBrowserAndServer({
      env: { SWITCHBOARD_ADMIN_EMAIL: operator.email, SWITCHBOARD_ADMIN_PASSWORD: operator.password },
    }));
    await server.domains.identity.auth.ensureOwner(operator);
  });
  afterAll(() => stop?.());

  async function createAgent(page: Page, fields: { name: string; instructions: string; handoffTo?: string }) {
    await nav(page, 'Agents').click();
    await page.getByRole('link', { name: 'New agent' }).click();
    await page.getByLabel('Name').fill(fields.name);
    await field(page, 'Instructions').fill(fields.instructions);
    if (fields.handoffTo) await page.getByRole('checkbox', { name: new RegExp(fields.handoffTo) }).check();
    await page.getByRole('button', { name: 'Create agent' }).click();
    await page.getByRole('heading', { name: fields.name }).waitFor();
    return new URL(page.url()).pathname.split('/').at(-1)!;
  }

  it('compares a version with the current one, restores it, and deletes only agents nobody hands off to', async () => {
    const { page, problems, close } = await openPage(browser);
    page.on('dialog', (dialog) => void dialog.accept());
    const healthAsked: URL[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith('/api/v1/agents') && url.pathname.endsWith('/health'))
        healthAsked.push(url);
    });
    await register(page, server, {
      name: 'Bea Builder',
      email: emailFor('Bea'),
      password: 'builder password 1',
    });

    const billing = await createAgent(page, {
      name: 'Billing',
      instructions: 'You answer billing questions.\nBe brief.\nSign as Billing.',
    });
    const triage = await createAgent(page, {
      name: 'Triage',
      instructions: 'You route questions.',
      handoffTo: 'Billing',
    });

    // An edit makes version 2.
    await nav(page, 'Agents').click();
    await page.locator('#main').getByRole('link', { name: 'Billing' }).click();
    await field(page, 'Description').fill('Refunds and invoices');
    await page
      .getByLabel('Instructions')
      .fill(
        'You answer billing questions.\nBe thorough and kind.\nQuote the invoice number.\nSign as Billing.',
      );
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved version 2').waitFor();
    await expect.poll(() => page.getByTestId('version-row').count()).toBe(2);

    // Version 1 against the current one, field by field; the instructions line by line.
    const versionRow = (n: number) => page.getByTestId('version-row').filter({ hasText: `Version ${n} ` });
    await versionRow(1).getByRole('button', { name: 'Compare with current' }).click();
    await page.getByTestId('version-diff').waitFor();
    expect(await diffTexts(page, 'Instructions', 'removed')).toEqual(['Be brief.']);
    expect(await diffTexts(page, 'Instructions', 'added')).toEqual([
      'Be thorough and kind.',
      'Quote the invoice number.',
    ]);
    expect(await diffTexts(page, 'Description', 'removed')).toEqual(['(empty)']);
    expect(await diffTexts(page, 'Description', 'added')).toEqual(['Refunds and invoices']);
    expect(await page.getByTestId('diff-Name').count()).toBe(0);
    await page
      .getByText('The same in both: Name, Model, Tools, Hand-offs, Guardrails, Model settings.')
      .waitFor();
    await shot(page, 'agents-01-version-diff');

    // Restoring it saves its fields as version 3.
    await page.getByRole('button', { name: 'Restore version 1' }).click();
    await page.getByText('Restored version 1 as version 3').waitFor();
    await page.getByText('version 3', { exact: true }).waitFor();
    await expect
      .poll(() => field(page, 'Instructions').inputValue())
      .toBe('You answer billing questions.\nBe brief.\nSign as Billing.');
    expect(await field(page, 'Description').inputValue()).toBe('');
    await page.getByText('Version 1 is the same as the current version.').waitFor();
    await shot(page, 'agents-02-version-restored');

    // Someone saves in between: the restore is refused, readably, and Reload shows their version.
    await versionRow(2).getByRole('button', { name: 'Compare with current' }).click();
    await page.getByRole('button', { name: 'Restore version 2' }).waitFor();
    const elsewhere = await server.api.PATCH('/api/v1/agents/{id}', {
      params: { path: { id: billing } },
      headers: { Authorization: `Bearer ${await tokenOf(page)}` },
      body: { description: 'Changed in another tab' },
    });
    expect(elsewhere.data?.version).toBe(4);
    await page.getByRole('button', { name: 'Restore version 2' }).click();
    await page.getByTestId('version-conflict').waitFor();
    expect(await page.getByRole('button', { name: 'Restore version 2' }).isDisabled()).toBe(true);
    expect(await page.getByTestId('version-conflict').textContent()).toBe(
      'Someone else saved this agent after you opened it (it is at version 4 now), so version 2 was not ' +
        'restored. Reload to see their change, then try again.Reload',
    );
    await shot(page, 'agents-03-version-conflict');
    await page.getByTestId('version-conflict').getByRole('button', { name: 'Reload' }).click();
    await page.getByText('version 4', { exact: true }).waitFor();
    expect(await page.getByTestId('version-conflict').count()).toBe(0);
    expect(await field(page, 'Description').inputValue()).toBe('Changed in another tab');
    expect(await page.getByRole('button', { name: 'Restore version 2' }).isDisabled()).toBe(false);

    // Billing is Triage's hand-off target: deleting it is refused, kindly, naming Triage.
    await nav(page, 'Agents').click();
    // The org's starter agent, Assistant, is listed beside them.
    await expect.poll(() => page.getByTestId('agent-row').count()).toBe(3);
    // The list asks for every agent's health in one request, never one an agent.
    await expect
      .poll(() => page.getByTestId('agent-health').allTextContents())
      .toEqual(['Idle', 'Idle', 'Idle']);
    expect(new Set(healthAsked.map((u) => u.pathname))).toEqual(new Set(['/api/v1/agents/health']));
    expect(
      healthAsked.some((u) => {
        const ids = u.searchParams.get('ids')?.split(',') ?? [];
        return ids.length === 3 && ids.includes(billing) && ids.includes(triage);
      }),
    ).toBe(true);
    await page.getByRole('button', { name: 'Delete Billing' }).click();
    expect(await page.getByTestId('agent-in-use').textContent()).toBe(
      'Billing cannot be deleted yet: another agent hands off to it. Remove Billing from the hand-offs of ' +
        'Triage first, then delete it.Dismiss',
    );
    expect(await page.getByTestId('agent-row').count()).toBe(3);
    await shot(page, 'agents-04-delete-refused');

    // Triage is nobody's hand-off target: deleted from its own page.
    await page.getByTestId('agent-in-use').getByRole('link', { name: 'Triage' }).click();
    await page.getByRole('heading', { name: 'Triage' }).waitFor();
    await page.getByRole('button', { name: 'Delete agent' }).click();
    await page.waitForURL(/\/agents$/);
    await page.getByText('Agent Triage deleted').waitFor();
    await expect
      .poll(() => page.getByTestId('agent-row').allTextContents())
      .toEqual([expect.stringContaining('Assistant'), expect.stringContaining('Billing')]);
    // Now nothing hands off to Billing: deleted from the list.
    await page.getByRole('button', { name: 'Delete Billing' }).click();
    await expect
      .poll(() => page.getByTestId('agent-row').allTextContents())
      .toEqual([expect.stringContaining('Assistant')]);
    await shot(page, 'agents-05-deleted');

    // The refused restore and delete: the browser reports each 409 itself.
    expect(unexpected(problems, [{ url: `/api/v1/agents/${billing}`, status: 409 }])).toEqual([]);
    await close();
  });

  it('offers a viewer the versions and their changes, but neither restore nor delete', async () => {
    const owner = await newAccount(server, 'Olga Owner');
    const created = await server.api.POST('/api/v1/agents', {
      ...owner.auth,
      body: { name: 'Archivist', instructions: 'You keep records.' },
    });
    expect(created.response.status).toBe(201);
    const id = created.data!.id;
    const edited = await server.api.PATCH('/api/v1/agents/{id}', {
      ...owner.auth,
      params: { path: { id } },
      body: { instructions: 'You keep records, carefully.' },
    });
    expect(edited.data?.version).toBe(2);
    const viewer = await addMember(server, owner, { name: 'Vera Viewer', role: 'viewer' });

    const { page, problems, close } = await openPage(browser);
    await page.goto(`${server.url}/agents`);
    await fillSignIn(page, viewer);
    await page.getByTestId('agent-row').filter({ hasText: 'Archivist' }).waitFor();
    expect(await page.getByRole('button', { name: /^Delete/ }).count()).toBe(0);

    await page.getByRole('link', { name: 'Archivist' }).click();
    await page
      .getByTestId('version-row')
      .nth(1)
      .getByRole('button', { name: 'Compare with current' })
      .click();
    expect(await diffTexts(page, 'Instructions', 'removed')).toEqual(['You keep records.']);
    expect(await diffTexts(page, 'Instructions', 'added')).toEqual(['You keep records, carefully.']);
    expect(await page.getByRole('button', { name: /^Restore/ }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Delete agent' }).count()).toBe(0);
    expect(problems).toEqual([]);
    await close();
  });

  it('shows the operator execution charts and agent health, in light and dark themes', async () => {
    const { page, problems, close } = await openPage(browser);
    await signIn(page, server, operator);

    // No run anywhere yet: each chart says so instead of drawing an empty box.
    await nav(page, 'Control room').click();
    await expect.poll(() => page.getByTestId('system-status').textContent()).toBe('Healthy');
    await page.getByTestId('chart-runs-by-status').getByText('No runs yet').waitFor();
    for (const chart of ['chart-finished', 'chart-p50', 'chart-durations']) {
      await page.getByTestId(chart).getByText('No run finished in the last hour').waitFor();
    }
    await page.getByText('No agent ran in the last hour').waitFor();
    await shot(page, 'control-room-01-empty');

    // One run succeeds and one fails, submitted through the API with the built-in scripted model.
    const auth = { headers: { Authorization: `Bearer ${await tokenOf(page)}` } };
    const agent = await server.api.POST('/api/v1/agents', {
      ...auth,
      body: { name: 'Courier', model: 'builtin:scripted' },
    });
    expect(agent.response.status).toBe(201);
    const submit = async (input: string) => {
      const run = await server.api.POST('/api/v1/runs', {
        ...auth,
        body: { agentId: agent.data!.id, input },
      });
      expect(run.response.status).toBe(202);
      return run.data!.id;
    };
    const finished = async (id: string) => {
      const run = await server.api.GET('/api/v1/runs/{id}', { ...auth, params: { path: { id } } });
      return run.data?.status;
    };
    const ok = await submit('Deliver the parcel');
    const bad = await submit('/fail the van broke down');
    await expect.poll(() => finished(ok)).toBe('succeeded');
    await expect.poll(() => finished(bad)).toBe('failed');

    const runsChart = page.getByTestId('chart-runs-by-status').getByRole('img');
    await expect
      .poll(() => runsChart.locator('desc').textContent())
      .toBe('Succeeded: Runs 1; Failed: Runs 1');
    // The whole hour, a column a minute (the current one too), each telling its runs by outcome.
    const finishedChart = page.getByTestId('chart-finished').getByRole('img');
    const finishedDesc = () => finishedChart.locator('desc').textContent();
    await expect.poll(finishedDesc).toMatch(/^In all: Succeeded 1, Failed 1, Cancelled 0\. /);
    expect(await finishedChart.locator('.chart-band').count()).toBe(61);
    const timeTicks = (chart: string) =>
      page.getByTestId(chart).locator('.chart-time-tick text').allTextContents();
    const hourTicks = await timeTicks('chart-finished');
    expect(hourTicks.length).toBeGreaterThanOrEqual(4);
    for (const tick of hourTicks) expect(tick).toMatch(/:(00|15|30|45)\b/);
    expect(await page.getByTestId('chart-p50').getByRole('img').locator('desc').textContent()).toMatch(
      /: p50 [\d.]+ (ms|s|min)\./,
    );
    expect(await page.getByTestId('chart-durations').getByRole('img').count()).toBe(1);
    // Its own query, refreshed on its own: wait for the answer that counts both runs.
    const row = page.getByTestId('agent-health-row');
    await expect
      .poll(() => row.locator('td.num').allTextContents())
      .toEqual(['2', '1 · 1', '50%', expect.stringMatching(/^\S+ m?s · \S+ m?s$/)]);
    expect(await row.count()).toBe(1);
    expect(await row.locator('.cell-main').textContent()).toBe('Couriercourier');
    // The operator org by its name, its id on hover.
    const org = row.getByRole('cell').nth(1);
    expect(await org.textContent()).toBe('Switchboard');
    expect(await org.getAttribute('title')).toMatch(/^org_\w+$/);

    // A run finishing while the page is open lands in the latest column at the next refresh.
    await submit('One more parcel');
    await expect.poll(finishedDesc).toMatch(/^In all: Succeeded 2, Failed 1, Cancelled 0\. /);
    await shot(page, 'control-room-02-hour-light');

    // Another window: the address keeps it, every window-bound title follows, the axis is marked every 6 h.
    await page.getByRole('tab', { name: '24 h' }).click();
    await page.waitForURL(/\?window=24h$/);
    await page.getByRole('heading', { name: 'Agent health, the last 24 hours' }).waitFor();
    await expect
      .poll(() => page.getByTestId('chart-finished').locator('figcaption').textContent())
      .toBe('Finished in the last 24 hours');
    await expect.poll(() => finishedChart.locator('.chart-band').count()).toBe(49);
    expect(await finishedDesc()).toMatch(/^In all: Succeeded 2, Failed 1, Cancelled 0\. /);
    const dayTicks = await timeTicks('chart-finished');
    expect(dayTicks.length).toBeGreaterThanOrEqual(4);
    expect(dayTicks.length).toBeLessThanOrEqual(5);
    await shot(page, 'control-room-03-day-light');

    // system -> light -> dark
    await page.getByTestId('theme-toggle').click();
    await page.getByTestId('theme-toggle').click();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await shot(page, 'control-room-04-day-dark');

    // A week: a column every 3 hours, the axis marked every midnight by its date.
    await page.getByRole('tab', { name: '7 days' }).click();
    await expect.poll(() => finishedChart.locator('.chart-band').count()).toBe(57);
    const today = await page.evaluate(() =>
      new Date().toLocaleDateString(undefined, { month: 'short', day: 'numeric' }),
    );
    const weekTicks = await timeTicks('chart-p50');
    expect(weekTicks).toContain(today);
    expect(weekTicks.length).toBeGreaterThanOrEqual(7);
    await shot(page, 'control-room-05-week-dark');

    expect(problems).toEqual([]);
    await close();
  });

  it('keeps guardrails with the agent, says what is wrong with one, diffs them, and a tripped one shows in chat', async () => {
    const owner = await newAccount(server, 'Gus Guard');
    const { page, problems, close } = await openPage(browser);
    await signIn(page, server, owner);
    await nav(page, 'Agents').click();
    await page.getByRole('link', { name: 'New agent' }).click();
    await page.getByLabel('Name').fill('Concierge');
    const rules = page.getByTestId('guardrail-rule');
    const rule = (n: number) => rules.nth(n - 1);

    // Two rules left unfinished: saving says what each lacks and takes the keyboard to the first.
    await page.getByRole('button', { name: 'Add guardrail' }).click();
    await page.getByRole('button', { name: 'Add guardrail' }).click();
    await rule(2).getByLabel('Check').selectOption({ label: 'Maximum length' });
    await rule(2).getByLabel('Applies to').selectOption({ label: "The agent's reply (output)" });
    await rule(2).getByLabel('Maximum characters').fill('lots');
    await page.getByRole('button', { name: 'Create agent' }).click();
    expect(await rules.locator('.field-error').allTextContents()).toEqual([
      'Enter at least one term.',
      'Enter a whole number from 1 to 1,000,000.',
    ]);
    expect(
      await rule(1)
        .getByLabel('Blocked terms')
        .evaluate((el) => el === document.activeElement),
    ).toBe(true);
    expect(await rule(1).getByLabel('Blocked terms').getAttribute('aria-invalid')).toBe('true');
    expect(new URL(page.url()).pathname).toBe('/agents/new');
    await shot(page, 'agents-06-guardrails-invalid');

    // Filled in, with a third rule for personal data, the agent is created with all three.
    await rule(1).getByLabel('Blocked terms').fill('refund, chargeback');
    await rule(2).getByLabel('Maximum characters').fill('2,000');
    await page.getByRole('button', { name: 'Add guardrail' }).click();
    await rule(3).getByLabel('Check').selectOption({ label: 'Personal data' });
    await rule(3).getByRole('checkbox', { name: 'Email addresses' }).check();
    await rule(3).getByRole('checkbox', { name: 'Phone numbers' }).check();
    expect(await rules.locator('.field-error').count()).toBe(0);
    await shot(page, 'agents-07-guardrails-form');
    await page.getByRole('button', { name: 'Create agent' }).click();
    await page.getByRole('heading', { name: 'Concierge' }).waitFor();
    const id = new URL(page.url()).pathname.split('/').at(-1)!;
    const saved = await server.api.GET('/api/v1/agents/{id}', { ...owner.auth, params: { path: { id } } });
    expect(saved.data?.guardrails).toEqual([
      { kind: 'blocked_terms', on: 'input', terms: ['refund', 'chargeback'] },
      { kind: 'max_length', on: 'output', chars: 2000 },
      { kind: 'pii', on: 'input', types: ['email', 'phone'] },
    ]);

    // One more term and one rule fewer make version 2; the diff shows each rule as a line.
    await rule(1).getByLabel('Blocked terms').fill('refund, chargeback, lawsuit');
    await rule(3).getByRole('button', { name: 'Remove guardrail 3' }).click();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved version 2').waitFor();
    await expect.poll(() => rules.count()).toBe(2);
    await page
      .getByTestId('version-row')
      .nth(1)
      .getByRole('button', { name: 'Compare with current' })
      .click();
    expect(await diffTexts(page, 'Guardrails', 'removed')).toEqual([
      'User message: blocks "refund", "chargeback"',
      'User message: no email addresses or phone numbers',
    ]);
    expect(await diffTexts(page, 'Guardrails', 'added')).toEqual([
      'User message: blocks "refund", "chargeback", "lawsuit"',
    ]);
    expect(await page.getByTestId('diff-Guardrails').locator('.diff-same').allTextContents()).toEqual([
      ' Reply: at most 2,000 characters',
    ]);
    await shot(page, 'agents-08-guardrails-diff');
    // Restoring version 1 brings its three rules back.
    await page.getByRole('button', { name: 'Restore version 1' }).click();
    await page.getByText('Restored version 1 as version 3').waitFor();
    await expect.poll(() => rules.count()).toBe(3);
    expect(await rule(1).getByLabel('Blocked terms').inputValue()).toBe('refund, chargeback');

    // A message with a blocked term ends the turn before the model is called, and the chat says why.
    await page.getByRole('link', { name: 'Chat with this agent' }).click();
    await page.getByTestId('composer').fill('I would like a Refund, please.');
    await page.getByTestId('composer').press('Enter');
    const failure = page.locator('.event-status.status-failed');
    await failure.waitFor();
    expect(await failure.locator('span').allTextContents()).toEqual([
      '•',
      'Failed',
      ': input guardrail: the message mentions the blocked term "refund"',
    ]);
    expect(await page.getByTestId('assistant-text').count()).toBe(0);
    await shot(page, 'agents-09-guardrail-in-chat');

    expect(problems).toEqual([]);
    await close();
  });
});
