import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, uniqueSuffix } from '../../server/test/kit/test-server.ts';
import {
  addMember,
  emailFor,
  fillRegistration,
  fillSignIn,
  nav,
  newAccount,
  openContext,
  openPage,
  register,
  shot,
  startBrowserAndServer,
  tokenOf,
} from './kit.ts';

describe('the console journey', () => {
  let browser: Browser;
  let server: TestServer;
  let stop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ browser, server, stop } = await startBrowserAndServer());
  });
  afterAll(() => stop?.());

  it('register, create an agent, chat, approve from the inbox, see the run succeed', async () => {
    const { page, problems, close } = await openPage(browser);
    const suffix = uniqueSuffix();

    // Signed out: the console sends you to sign in.
    await page.goto(`${server.url}/`);
    await page.waitForURL(/\/signin$/);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await shot(page, 'journey-01-signin');

    await page.getByRole('link', { name: 'Create an account' }).click();
    await fillRegistration(page, {
      name: 'Ada Lovelace',
      email: `ada-${suffix}@example.com`,
      password: 'correct horse battery staple',
      org: `Analytical Engines ${suffix}`,
    });
    await shot(page, 'journey-02-register');
    await page.getByRole('button', { name: 'Create account' }).click();

    // The dashboard: org and role in the header, live figures over the WebSocket.
    await page.getByRole('heading', { name: 'Welcome, Ada Lovelace' }).waitFor();
    expect(await page.getByTestId('org-name').textContent()).toBe(`Analytical Engines ${suffix}`);
    await expect.poll(() => page.getByTestId('user-role').textContent()).toBe('owner');
    await expect.poll(() => page.getByTestId('connection-state').textContent()).toBe('Live');
    await expect.poll(() => page.getByTestId('stat-connectedUsers').textContent()).toBe('1');
    expect(await page.getByTestId('stat-active').textContent()).toBe('0');
    await page.getByText('No runs yet').waitFor();
    await shot(page, 'journey-03-dashboard-empty');

    // An agent with the approval tool.
    // A new org starts with its Assistant, on the built-in test model (no provider is configured here).
    await nav(page, 'Agents').click();
    await expect
      .poll(() => page.getByTestId('agent-row').allTextContents())
      .toEqual([expect.stringContaining('Assistant')]);
    expect(await page.getByTestId('agent-row').textContent()).toContain('built-in test model');
    await page.getByRole('link', { name: 'New agent' }).click();
    await page.getByLabel('Name').fill('Shipper');
    await page.getByLabel('Instructions').fill('You ship things, after a person approves.');
    await page.getByRole('checkbox', { name: /demo\.approval/ }).check();
    await shot(page, 'journey-04-agent-new');
    await page.getByRole('button', { name: 'Create agent' }).click();
    await page.getByRole('heading', { name: 'Shipper' }).waitFor();
    await page.getByText(/^Version 1/).waitFor();
    await nav(page, 'Agents').click();
    const shipperRow = page.getByTestId('agent-row').filter({ hasText: 'Shipper' });
    await shipperRow.waitFor();
    expect(await shipperRow.getByTestId('agent-health').textContent()).toBe('Idle');
    await shot(page, 'journey-05-agents');

    // Chat: the reply streams in.
    await nav(page, 'Chat').click();
    await page.getByTestId('agent-picker').selectOption({ label: 'Shipper (test model)' });
    await expect
      .poll(() => page.getByTestId('agent-picker').locator('option:checked').textContent())
      .toBe('Shipper (test model)');
    await page.getByTestId('composer').fill('Hello there');
    await page.getByTestId('composer').press('Enter');
    await page.waitForURL(/\/chat\/[\w-]+/);
    await expect
      .poll(() => page.getByTestId('assistant-text').last().textContent())
      .toContain('Echo: Hello there');
    await shot(page, 'journey-06-chat-reply');

    // An approval, answered from the inbox.
    await page.getByTestId('composer').fill('/tool demo.approval {"action":"ship"}');
    await page.getByTestId('composer').press('Enter');
    await page.getByTestId('approval-request').waitFor();
    await expect.poll(() => page.getByTestId('inbox-unread').textContent()).toContain('1');
    await shot(page, 'journey-07-chat-approval');

    await nav(page, /Inbox/).click();
    await page.getByTestId('inbox-item').waitFor();
    expect(await page.getByTestId('inbox-item').locator('.inbox-title').textContent()).toBe(
      'Approve demo.approval?',
    );
    await shot(page, 'journey-08-inbox');
    await page.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => page.getByTestId('inbox-unread').count()).toBe(0);

    // The run finishes; the runs page shows it succeeded.
    await nav(page, 'Runs').click();
    await expect
      .poll(() => page.getByTestId('run-status').allTextContents())
      .toEqual(['Succeeded', 'Succeeded']);
    await shot(page, 'journey-09-runs');
    await page.getByRole('link', { name: /demo\.approval/ }).click();
    await expect.poll(() => page.getByTestId('run-detail-status').textContent()).toBe('Succeeded');
    await page.getByText('Approved', { exact: true }).waitFor();
    await shot(page, 'journey-10-run-detail');

    // Back in chat, the conversation holds both turns.
    await page.getByRole('link', { name: 'Open in chat' }).click();
    await expect.poll(() => page.getByTestId('assistant-text').allTextContents()).toHaveLength(2);
    await shot(page, 'journey-11-chat-after');

    // The dashboard counts both runs.
    await nav(page, 'Dashboard').click();
    await expect.poll(() => page.getByTestId('stat-succeededLastHour').textContent()).toBe('2');
    await shot(page, 'journey-12-dashboard');

    // A long turn stopped from the chat.
    await nav(page, 'Chat').click();
    await page.getByRole('link', { name: /Hello there/ }).click();
    await page.getByTestId('composer').fill('/sleep 20000');
    await page.getByTestId('composer').press('Enter');
    await page.getByTestId('stop').click();
    await page.getByText('Stopped', { exact: true }).waitFor();
    await shot(page, 'journey-12b-chat-stopped');
    await nav(page, 'Runs').click();
    await expect.poll(() => page.getByTestId('run-status').first().textContent()).toBe('Cancelled');

    // Members: the owner alone so far.
    await nav(page, 'Members').click();
    await expect.poll(() => page.getByTestId('member-row').count()).toBe(1);
    expect(await page.getByTestId('member-row').locator('.role-pill').textContent()).toBe('owner');
    await shot(page, 'journey-12d-members');

    // Roles: a custom role made from the viewer's, then given one more permission in the matrix.
    await nav(page, 'Roles').click();
    // The matrix is in (roles and permissions loaded) before the form is filled, so nothing re-renders it
    // between the typing and the click; the click is then seen to send the request.
    await page.getByRole('checkbox', { name: 'owner: audit:read' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('auditor');
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('auditor');
    const [created] = await Promise.all([
      page.waitForResponse(
        (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/roles',
      ),
      page.getByRole('button', { name: 'Create role' }).click(),
    ]);
    expect(created.status()).toBe(201);
    // The role exists on the server before the matrix is asked for its column, so a failure here says which.
    // One token for every poll: each refresh counts against the per-address limit of the public routes.
    const owner = { headers: { Authorization: `Bearer ${await tokenOf(page)}` } };
    await expect
      .poll(async () => {
        const roles = await server.api.GET('/api/v1/roles', owner);
        return roles.data?.items.some((r) => r.name === 'auditor');
      })
      .toBe(true);
    const grant = page.getByRole('checkbox', { name: 'auditor: audit:read' });
    await grant.scrollIntoViewIfNeeded();
    expect(await grant.isChecked()).toBe(false);
    // The matrix ticks the box through an optimistic update a tick after the click, not during it; check()
    // would look at once and, on a busy machine, find it still clear.
    await grant.click();
    await expect.poll(() => grant.isChecked()).toBe(true);
    await expect
      .poll(async () => {
        const roles = await server.api.GET('/api/v1/roles', owner);
        return roles.data?.items.find((r) => r.name === 'auditor')?.permissions.includes('audit:read');
      })
      .toBe(true);
    expect(await page.getByRole('checkbox', { name: 'owner: audit:read' }).isDisabled()).toBe(true);
    await shot(page, 'journey-12g-roles');

    // An API key, its secret shown once.
    await nav(page, 'API keys').click();
    await page.getByText('No API keys yet').waitFor();
    await page.getByLabel('Name', { exact: true }).fill('ci');
    await page.getByRole('checkbox', { name: /^runs:read/ }).check();
    await page.getByRole('button', { name: 'Create key' }).click();
    expect(await page.getByTestId('new-key-secret').locator('code').textContent()).toMatch(/^sbk_/);
    await page.getByTestId('api-key-row').waitFor();
    await shot(page, 'journey-12c-api-keys');

    // The audit log, filtered, and its CSV export.
    await nav(page, 'Audit log').click();
    await page.getByTestId('audit-row').first().waitFor();
    await page.getByLabel('Resource type').fill('api_key');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => page.getByTestId('audit-row').count()).toBe(1);
    expect(await page.getByTestId('audit-row').locator('code').textContent()).toBe('api_key.create');
    await shot(page, 'journey-12e-audit');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^audit-\d{4}-\d{2}-\d{2}\.csv$/);

    // The first org operates the server: its owner sees the control room.
    await nav(page, 'Control room').click();
    await expect.poll(() => page.getByTestId('system-status').textContent()).toBe('Healthy');
    expect(await page.getByTestId('control-figure').count()).toBeGreaterThanOrEqual(4);
    await shot(page, 'journey-12f-control-room');

    // Dark theme from the toggle (system -> light -> dark), on the dashboard.
    await nav(page, 'Dashboard').click();
    await page.getByTestId('stat-succeededLastHour').waitFor();
    await page.getByTestId('theme-toggle').click();
    await page.getByTestId('theme-toggle').click();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await shot(page, 'journey-13-dashboard-dark');

    expect(problems).toEqual([]);
    await close();
  });

  it('follows permissions (a viewer is offered only what it may do), and signs out every tab at once', async () => {
    const owner = await newAccount(server, 'Olive Owner');
    const viewer = await addMember(server, owner, { name: 'Vic Viewer', role: 'viewer' });

    const { context, problems } = await openContext(browser, { viewport: { width: 1100, height: 760 } });
    const first = await context.newPage();
    await first.goto(`${server.url}/agents`);
    await first.waitForURL(/\/signin$/);
    await fillSignIn(first, viewer);
    // Back where it was headed, offered only what a viewer may use.
    await first.getByRole('heading', { name: 'Agents' }).waitFor();
    expect(new URL(first.url()).pathname).toBe('/agents');
    await expect.poll(() => first.getByTestId('user-role').textContent()).toBe('viewer');
    const links = first.getByRole('navigation', { name: 'Main' }).getByRole('link');
    expect(await links.allTextContents()).toEqual([
      'Dashboard',
      'Agents',
      'Runs',
      'Tasks',
      'Errors',
      'Usage',
      'Files',
      'Inbox',
      'Members',
      'Roles',
      'Platform status',
    ]);
    await first.getByTestId('agent-row').filter({ hasText: 'Assistant' }).waitFor();
    expect(await first.getByRole('link', { name: 'New agent' }).count()).toBe(0);
    await nav(first, 'Members').click();
    await expect.poll(() => first.getByTestId('member-row').count()).toBe(2);
    expect(await first.getByRole('button', { name: 'Add member' }).count()).toBe(0);
    expect(await first.getByRole('button', { name: 'Remove' }).count()).toBe(0);
    await first.goto(`${server.url}/chat`);
    await first.getByText(/Your role does not include/).waitFor();
    await shot(first, 'journey-14-viewer-forbidden');

    // A second tab shares the session; signing out there signs out both.
    const second = await context.newPage();
    await second.goto(`${server.url}/runs`);
    await second.getByRole('heading', { name: 'Runs' }).waitFor();
    await second.getByRole('button', { name: 'Sign out' }).click();
    await second.waitForURL(/\/signin$/);
    await first.waitForURL(/\/signin$/);
    await first.getByText('You signed out in another tab.').waitFor();
    await shot(first, 'journey-15-signed-out-elsewhere');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('fits a phone screen: the navigation folds into a menu', async () => {
    const { page, problems, close } = await openPage(browser, {
      viewport: { width: 390, height: 800 },
      colorScheme: 'dark',
    });
    await register(page, server, { name: 'Pat Phone', email: emailFor('Pat'), password: 'phone password 1' });
    expect(await page.getByRole('navigation', { name: 'Main' }).isVisible()).toBe(false);
    await expect.poll(() => page.getByTestId('stat-connectedUsers').textContent()).toBe('1');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'journey-16-phone-dashboard');
    await page.getByRole('button', { name: 'Menu' }).click();
    await nav(page, 'Inbox').click();
    await page.getByText('Nothing needs you right now').waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).isVisible()).toBe(false);
    await shot(page, 'journey-17-phone-inbox');
    expect(problems).toEqual([]);
    await close();
  });
});

describe('the console with short-lived access tokens', () => {
  let browser: Browser;
  let server: TestServer;
  let stop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ browser, server, stop } = await startBrowserAndServer({ env: { ACCESS_TOKEN_TTL_SECONDS: '30' } }));
  });
  afterAll(() => stop?.());

  it('refreshes silently, once for two tabs, and both keep working', async () => {
    const { context, problems } = await openContext(browser, { viewport: { width: 1100, height: 760 } });
    const a = await context.newPage();
    await register(a, server, { name: 'Tess Tabs', email: emailFor('Tess'), password: 'two tabs password' });
    const b = await context.newPage();
    await b.goto(`${server.url}/runs`);
    await b.getByText('No runs yet').waitFor();

    const token = () => tokenOf(a);
    const first = await token();
    // Both tabs plan the refresh for the same moment (3/4 of 30 s); one spends the token, the other adopts.
    await expect.poll(token, { timeout: 35_000, interval: 1000 }).not.toBe(first);

    // A reused refresh token would have revoked the family and signed both tabs out.
    await nav(a, 'Agents').click();
    await a.getByTestId('agent-row').filter({ hasText: 'Assistant' }).waitFor();
    await nav(b, /Inbox/).click();
    await b.getByText('Nothing needs you right now').waitFor();
    expect(new URL(a.url()).pathname).toBe('/agents');
    expect(new URL(b.url()).pathname).toBe('/inbox');
    await expect.poll(() => b.getByTestId('connection-state').textContent()).toBe('Live');
    expect(problems).toEqual([]);
    await context.close();
  });
});
