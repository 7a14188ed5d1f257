import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type ConsoleMessage, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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

/** Opens a page that records every console error and uncaught exception. */
async function openPage(browser: Browser, colorScheme: 'light' | 'dark' = 'light') {
  const context = await browser.newContext({ colorScheme, viewport: { width: 1280, height: 820 } });
  const page = await context.newPage();
  const problems: Problem[] = [];
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() === 'error') problems.push({ text: message.text(), url: message.location().url });
  });
  page.on('pageerror', (err) => problems.push({ text: `uncaught: ${err.message}`, url: '' }));
  return { page, problems, close: () => context.close() };
}

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SCREENSHOTS_DIR, `${name}.png`), fullPage: true });
}

/** The feed's items as shown: their text, newest first. */
const feed = (page: Page) => page.getByTestId('update-item').allTextContents();

describe("the dashboard's recent updates", () => {
  let browser: Browser;
  let server: TestServer;
  const opened: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    [browser, server] = await Promise.all([
      chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true }),
      startTestServer(),
    ]);
  });
  afterEach(async () => {
    for (const close of opened.splice(0)) await close();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows the agent you created and the runs that finished, live, each linking to its page', async () => {
    const { page, problems, close } = await openPage(browser);
    opened.push(close);
    const suffix = uniqueSuffix();

    await page.goto(`${server.url}/register`);
    await page.getByLabel('Your name').fill('Grace Hopper');
    await page.getByLabel('Email').fill(`grace-${suffix}@example.com`);
    await page.getByLabel('Password').fill('compiler password 1');
    await page.getByLabel(/Organisation/).fill(`Navy Lab ${suffix}`);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Welcome, Grace Hopper' }).waitFor();
    await page.getByRole('heading', { name: 'Recent updates' }).waitFor();
    await page.getByText('Nothing has happened yet').waitFor();
    await screenshot(page, 'updates-01-dashboard-empty');

    // An agent, made in the console.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Agents' }).click();
    await page.getByRole('link', { name: 'New agent' }).click();
    await page.getByLabel('Name').fill('Triage');
    await page.getByLabel('Instructions').fill('Sort what comes in.');
    await page.getByRole('button', { name: 'Create agent' }).click();
    await page.getByRole('heading', { name: 'Triage' }).waitFor();
    const agentId = new URL(page.url()).pathname.split('/').pop()!;
    expect(agentId).toMatch(/^agt_/);

    // Something run through chat.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Chat' }).click();
    await expect
      .poll(() => page.getByTestId('agent-picker').locator('option:checked').textContent())
      .toBe('Triage (test model)');
    await page.getByTestId('composer').fill('Hello there');
    await page.getByTestId('composer').press('Enter');
    await expect
      .poll(() => page.getByTestId('assistant-text').last().textContent(), { timeout: 15_000 })
      .toContain('Echo: Hello there');

    // Both show on the dashboard, newest first.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
    await expect
      .poll(() => feed(page), { timeout: 10_000 })
      .toEqual([
        expect.stringMatching(/^Chat turn of Triage succeeded(just now|\d+ s ago)$/),
        expect.stringMatching(/^You created agent Triage(just now|\d+ s ago)$/),
      ]);
    await expect.poll(() => page.getByTestId('connection-state').textContent()).toBe('Live');

    // A run submitted elsewhere (the API) arrives while the dashboard is open: the live events refresh it
    // (within 10 s of opening the dashboard, well before its 30 s poll could).
    const token = await page.evaluate(
      () =>
        (JSON.parse(localStorage.getItem('switchboard.session') ?? '{}') as { accessToken?: string })
          .accessToken,
    );
    const run = await server.api.POST('/api/v1/runs', {
      headers: { Authorization: `Bearer ${token}` },
      body: { agentId, input: 'sort this, please' },
    });
    expect(run.response.status).toBe(202);
    await expect
      .poll(async () => (await feed(page)).slice(0, 2), { timeout: 10_000 })
      .toEqual([
        expect.stringMatching(/^Run of Triage succeeded/),
        expect.stringMatching(/^You submitted a run of Triage/),
      ]);
    expect(await page.getByTestId('update-item').first().getAttribute('data-kind')).toBe('run.succeeded');
    await screenshot(page, 'updates-02-dashboard-feed');

    // Each item opens its subject: the run, then the agent.
    await page.getByTestId('update-item').first().getByRole('link').click();
    await page.waitForURL(new RegExp(`/runs/${run.data!.id}$`));
    await expect.poll(() => page.getByTestId('run-detail-status').textContent()).toBe('Succeeded');
    await page.goBack();
    await page
      .getByTestId('update-item')
      .last()
      .getByRole('link', { name: /created agent Triage/ })
      .click();
    await page.waitForURL(new RegExp(`/agents/${agentId}$`));
    await page.getByRole('heading', { name: 'Triage' }).waitFor();

    expect(problems).toEqual([]);
  });

  it('renders in dark mode and on a phone without errors', async () => {
    const { page, problems, close } = await openPage(browser, 'dark');
    opened.push(close);
    await page.setViewportSize({ width: 390, height: 800 });
    const suffix = uniqueSuffix();
    const owner = await server.api.POST('/api/v1/auth/register', {
      body: { email: `pat-${suffix}@example.com`, password: 'phone password 1', name: 'Pat Phone' },
    });
    const auth = { headers: { Authorization: `Bearer ${owner.data!.accessToken}` } };
    for (const name of ['Intake', 'Router with a rather long name that has to wrap on a phone']) {
      const made = await server.api.POST('/api/v1/agents', { ...auth, body: { name } });
      expect(made.response.status).toBe(201);
    }
    await page.goto(`${server.url}/signin`);
    await page.getByLabel('Email').fill(`pat-${suffix}@example.com`);
    await page.getByLabel('Password').fill('phone password 1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Welcome, Pat Phone' }).waitFor();
    await expect.poll(() => page.getByTestId('update-item').count()).toBe(2);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(page, 'updates-03-phone-dark');
    expect(problems).toEqual([]);
  });
});
