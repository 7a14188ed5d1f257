import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type ConsoleMessage, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../server/test/harness.ts';
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
  const context = await browser.newContext({ colorScheme, viewport: { width: 1100, height: 760 } });
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
  await page.screenshot({ path: path.join(SCREENSHOTS_DIR, `${name}.png`), fullPage: true });
}

describe('the console status page', () => {
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

  it('shows the platform, each dependency answering, and the developer links', async () => {
    const { page, problems, close } = await openPage(browser);
    opened.push(close);
    await page.goto(`${server.url}/status`);

    await expect.poll(() => page.getByTestId('overall-status').textContent()).toBe('Ready');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Switchboard');
    expect(await page.getByTestId('check-database').textContent()).toBe('databaseanswering');
    // One row per dependency the server probes, each answering.
    const names = [...server.ctx.readiness.keys()].sort();
    expect(await page.locator('.check-name').allTextContents()).toEqual(names);
    expect(await page.locator('.check-state').allTextContents()).toEqual(names.map(() => 'answering'));
    const links = await page
      .getByRole('link')
      .evaluateAll((anchors) => anchors.map((a) => a.getAttribute('href')));
    expect(links).toEqual(['/docs', '/openapi.json', '/metrics']);

    await screenshot(page, 'console-status-light');
    expect(problems).toEqual([]);
  });

  it('renders in dark mode without errors', async () => {
    const { page, problems, close } = await openPage(browser, 'dark');
    opened.push(close);
    await page.goto(`${server.url}/status`);
    await expect.poll(() => page.getByTestId('overall-status').textContent()).toBe('Ready');
    const background = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    expect(background).toBe('rgb(15, 17, 21)');
    await screenshot(page, 'console-status-dark');
    expect(problems).toEqual([]);
  });

  it('reaches the API reference from its link', async () => {
    const { page, problems, close } = await openPage(browser);
    opened.push(close);
    await page.goto(`${server.url}/status`);
    await expect.poll(() => page.getByTestId('overall-status').textContent()).toBe('Ready');
    expect(problems).toEqual([]);
    await page.getByRole('link', { name: /API reference/ }).click();
    await page.waitForURL(/\/docs/);
    await expect
      .poll(() => page.locator('.swagger-ui .title').first().textContent())
      .toContain('Switchboard API');
  });

  // swagger-ui's bundle sets inline styles; the server's CSP allows them, swagger-ui's own would not.
  it('the API reference page logs no browser errors', async () => {
    const { page, problems, close } = await openPage(browser);
    opened.push(close);
    await page.goto(`${server.url}/docs`);
    await expect
      .poll(() => page.locator('.swagger-ui .title').first().textContent())
      .toContain('Switchboard API');
    expect(problems).toEqual([]);
  });

  // Last: it closes the server's database.
  it('says which dependency failed when the server is not ready', async () => {
    await server.ctx.database.close();
    const { page, problems, close } = await openPage(browser);
    opened.push(close);
    await page.goto(`${server.url}/status`);

    await expect.poll(() => page.getByTestId('overall-status').textContent()).toBe('Not ready');
    // The message names the database (and whatever else lives in it, e.g. the queue).
    expect(await page.getByRole('alert').textContent()).toMatch(
      /^not ready: (\w+, )*database(, \w+)* failed \(request req_[\w-]+\)$/,
    );
    expect(await page.getByTestId('check-database').locator('.check-state').textContent()).not.toBe(
      'answering',
    );
    await screenshot(page, 'console-status-not-ready');
    // The browser reports the 503 itself; that is the only error allowed here.
    expect(problems.filter((p) => !(p.url.endsWith('/health/ready') && p.text.includes('503')))).toEqual([]);
    expect(problems.length).toBeGreaterThan(0);
  });
});
