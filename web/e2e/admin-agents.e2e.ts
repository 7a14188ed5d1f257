import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, type ConsoleMessage, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer, uniqueSuffix } from '../../server/test/harness.ts';
import { SCREENSHOTS_DIR } from '../../server/test/setup/paths.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

interface Problem {
  text: string;
  url: string;
}

/** Every console error and uncaught exception of every page of a context. */
function watch(context: BrowserContext): Problem[] {
  const problems: Problem[] = [];
  const attach = (page: Page) => {
    page.on('console', (message: ConsoleMessage) => {
      if (message.type() === 'error') problems.push({ text: message.text(), url: message.location().url });
    });
    page.on('pageerror', (err) => problems.push({ text: `uncaught: ${err.message}`, url: '' }));
  };
  context.on('page', attach);
  for (const page of context.pages()) attach(page);
  return problems;
}

/** The problems left once the browser's own reports of answers the test provoked on purpose are set aside. */
function unexpected(problems: Problem[], provoked: Array<{ url: string; status: number }>): Problem[] {
  return problems.filter(
    (p) => !provoked.some((e) => p.url.endsWith(e.url) && p.text.includes(`status of ${e.status}`)),
  );
}

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  // A full-page shot of a scrolled page draws the sticky header where the scroll left it.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SCREENSHOTS_DIR, `${name}.png`), fullPage: true });
}

/** The signed-in tab's access token, for calls the test makes beside the browser. */
async function tokenOf(page: Page): Promise<string> {
  return page.evaluate(
    () =>
      (JSON.parse(localStorage.getItem('switchboard.session') ?? '{}') as { accessToken: string })
        .accessToken,
  );
}

/** A diff's lines of one kind, without their −/+ mark and the words screen readers hear. */
async function diffTexts(page: Page, field: string, kind: 'added' | 'removed'): Promise<string[]> {
  const texts = await page.getByTestId(`diff-${field}`).locator(`.diff-${kind}`).allTextContents();
  return texts.map((t) => t.replace(/^[−+](added|removed): /, ''));
}

/** A form field by its label (the version diff labels its lists by field name too). */
const field = (page: Page, name: string) => page.getByRole('textbox', { name });

const nav = (page: Page, name: string | RegExp) =>
  page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });

describe('agents (versions, restore, delete) and the control room charts', () => {
  let browser: Browser;
  let server: TestServer;
  const operator = { email: `ops-${uniqueSuffix()}@example.com`, password: 'operator password 1' };

  beforeAll(async () => {
    // The operator org is the start-up admin's; the harness does not run the start-up, so the test does.
    [browser, server] = await Promise.all([
      chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true }),
      startTestServer({
        env: { SWITCHBOARD_ADMIN_EMAIL: operator.email, SWITCHBOARD_ADMIN_PASSWORD: operator.password },
      }),
    ]);
    await server.app.identity.auth.ensureOwner(operator);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

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
    const context = await browser.newContext({ viewport: { width: 1280, height: 820 } });
    const problems = watch(context);
    const page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    const suffix = uniqueSuffix();

    await page.goto(`${server.url}/register`);
    await page.getByLabel('Your name').fill('Bea Builder');
    await page.getByLabel('Email').fill(`bea-${suffix}@example.com`);
    await page.getByLabel('Password').fill('builder password 1');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Welcome, Bea Builder' }).waitFor();

    const billing = await createAgent(page, {
      name: 'Billing',
      instructions: 'You answer billing questions.\nBe brief.\nSign as Billing.',
    });
    await createAgent(page, { name: 'Triage', instructions: 'You route questions.', handoffTo: 'Billing' });

    // An edit makes version 2.
    await nav(page, 'Agents').click();
    await page.getByRole('link', { name: 'Billing' }).click();
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
    await page.getByText('The same in both: Name, Model, Tools, Hand-offs, Model settings.').waitFor();
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
    await expect.poll(() => page.getByTestId('agent-row').count()).toBe(2);
    await page.getByRole('button', { name: 'Delete Billing' }).click();
    expect(await page.getByTestId('agent-in-use').textContent()).toBe(
      'Billing cannot be deleted yet: another agent hands off to it. Remove Billing from the hand-offs of ' +
        'Triage first, then delete it.Dismiss',
    );
    expect(await page.getByTestId('agent-row').count()).toBe(2);
    await shot(page, 'agents-04-delete-refused');

    // Triage is nobody's hand-off target: deleted from its own page.
    await page.getByTestId('agent-in-use').getByRole('link', { name: 'Triage' }).click();
    await page.getByRole('heading', { name: 'Triage' }).waitFor();
    await page.getByRole('button', { name: 'Delete agent' }).click();
    await page.waitForURL(/\/agents$/);
    await page.getByText('Agent Triage deleted').waitFor();
    await expect
      .poll(() => page.getByTestId('agent-row').allTextContents())
      .toEqual([expect.stringContaining('Billing')]);
    // Now nothing hands off to Billing: deleted from the list.
    await page.getByRole('button', { name: 'Delete Billing' }).click();
    await page.getByText('No agents yet').waitFor();
    await shot(page, 'agents-05-deleted');

    // The refused restore and delete: the browser reports each 409 itself.
    expect(unexpected(problems, [{ url: `/api/v1/agents/${billing}`, status: 409 }])).toEqual([]);
    await context.close();
  });

  it('offers a viewer the versions and their changes, but neither restore nor delete', async () => {
    const suffix = uniqueSuffix();
    const owner = await server.api.POST('/api/v1/auth/register', {
      body: { email: `olga-${suffix}@example.com`, password: 'owner password 1', name: 'Olga Owner' },
    });
    expect(owner.response.status).toBe(201);
    const auth = { headers: { Authorization: `Bearer ${owner.data!.accessToken}` } };
    const created = await server.api.POST('/api/v1/agents', {
      ...auth,
      body: { name: 'Archivist', instructions: 'You keep records.' },
    });
    expect(created.response.status).toBe(201);
    const id = created.data!.id;
    const edited = await server.api.PATCH('/api/v1/agents/{id}', {
      ...auth,
      params: { path: { id } },
      body: { instructions: 'You keep records, carefully.' },
    });
    expect(edited.data?.version).toBe(2);
    const roles = await server.api.GET('/api/v1/roles', auth);
    const viewer = roles.data!.items.find((r) => r.name === 'viewer')!;
    const added = await server.api.POST('/api/v1/members', {
      ...auth,
      body: {
        email: `vera-${suffix}@example.com`,
        name: 'Vera Viewer',
        password: 'viewer password 1',
        roleId: viewer.id,
      },
    });
    expect(added.response.status).toBe(201);

    const context = await browser.newContext({ viewport: { width: 1280, height: 820 } });
    const problems = watch(context);
    const page = await context.newPage();
    await page.goto(`${server.url}/agents`);
    await page.getByLabel('Email').fill(`vera-${suffix}@example.com`);
    await page.getByLabel('Password').fill('viewer password 1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('agent-row').waitFor();
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
    await context.close();
  });

  it('shows the operator execution charts and agent health, in light and dark themes', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 820 } });
    const problems = watch(context);
    const page = await context.newPage();
    await page.goto(`${server.url}/signin`);
    await page.getByLabel('Email').fill(operator.email);
    await page.getByLabel('Password').fill(operator.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: /^Welcome/ }).waitFor();

    // No run anywhere yet: each chart says so instead of drawing an empty box.
    await nav(page, 'Control room').click();
    await expect.poll(() => page.getByTestId('system-status').textContent()).toBe('Healthy');
    await page.getByTestId('chart-runs-by-status').getByText('No runs yet').waitFor();
    await page.getByTestId('chart-durations').getByText('No run finished in the last hour').waitFor();
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
    await expect.poll(() => finished(ok), { timeout: 15_000 }).toBe('succeeded');
    await expect.poll(() => finished(bad), { timeout: 15_000 }).toBe('failed');

    const runsChart = page.getByTestId('chart-runs-by-status').getByRole('img');
    await expect
      .poll(() => runsChart.locator('desc').textContent(), { timeout: 10_000 })
      .toBe('Succeeded: Runs 1; Failed: Runs 1');
    expect(await page.getByTestId('chart-finished').getByRole('img').locator('desc').textContent()).toBe(
      'Succeeded: Runs 1; Failed: Runs 1',
    );
    expect(await page.getByTestId('chart-durations').getByRole('img').count()).toBe(1);
    // Its own query, refreshed on its own: wait for the answer that counts both runs.
    const row = page.getByTestId('agent-health-row');
    await expect
      .poll(() => row.locator('td.num').allTextContents(), { timeout: 10_000 })
      .toEqual(['2', '1 · 1', '50%', expect.stringMatching(/^\S+ m?s · \S+ m?s$/)]);
    expect(await row.count()).toBe(1);
    expect(await row.locator('.cell-main').textContent()).toBe('Couriercourier');

    // The live chart draws once it has three readings; a run finishing meanwhile shows in it.
    await submit('One more parcel');
    await page.getByTestId('chart-live').getByRole('img').waitFor({ timeout: 20_000 });
    const readings = page.getByTestId('chart-live').locator('.chart-band title');
    await expect
      .poll(async () => (await readings.allTextContents()).some((t) => /reading before [1-9]/.test(t)), {
        timeout: 15_000,
      })
      .toBe(true);

    // Another window: the address keeps it, every window-bound title follows.
    await page.getByRole('tab', { name: '24 h' }).click();
    await page.waitForURL(/\?window=24h$/);
    await page.getByRole('heading', { name: 'Agent health, the last 24 hours' }).waitFor();
    await expect
      .poll(() => page.getByTestId('chart-finished').locator('figcaption').textContent())
      .toBe('Finished in the last 24 hours');
    await expect
      .poll(() => page.getByTestId('chart-finished').getByRole('img').locator('desc').textContent())
      .toBe('Succeeded: Runs 2; Failed: Runs 1');
    await shot(page, 'control-room-02-charts-light');

    // system -> light -> dark
    await page.getByTestId('theme-toggle').click();
    await page.getByTestId('theme-toggle').click();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await shot(page, 'control-room-03-charts-dark');

    expect(problems).toEqual([]);
    await context.close();
  });
});
