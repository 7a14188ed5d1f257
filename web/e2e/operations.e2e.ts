import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { emailFor, nav, newAccount, openPage, shot, signIn, unexpected, useBrowserAndServer } from './kit.ts';

/** The answers the console saved in IndexedDB (idb-keyval's store), as text; undefined when none. */
const savedQueries = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<string | undefined>((resolve, reject) => {
        const open = indexedDB.open('keyval-store');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('keyval')) return resolve(undefined);
          const get = db.transaction('keyval').objectStore('keyval').get('switchboard.queries');
          get.onsuccess = () => resolve(get.result === undefined ? undefined : JSON.stringify(get.result));
          get.onerror = () => reject(get.error);
        };
      }),
  );

const operator = { email: emailFor('operator'), password: 'operator password 1', name: 'Olive Operator' };

describe('operations in the console', () => {
  const suite = useBrowserAndServer({
    env: { SWITCHBOARD_ADMIN_EMAIL: operator.email, SWITCHBOARD_ADMIN_PASSWORD: operator.password },
  });

  it("shows the operator's maintenance notice live in every org's console, and asks before a restart", async () => {
    await suite.server.domains.identity.auth.ensureOwner({ ...operator });
    const tenant = await newAccount(suite.server, 'Tina Tenant');
    const tenantTab = await openPage(suite.browser);
    suite.closeAfterTest(tenantTab.close);
    await signIn(tenantTab.page, suite.server, tenant);
    await expect.poll(() => tenantTab.page.getByTestId('connection-state').textContent()).toBe('Live');

    const ops = await openPage(suite.browser);
    suite.closeAfterTest(ops.close);
    await signIn(ops.page, suite.server, { email: operator.email, password: operator.password });
    await nav(ops.page, 'Control room').click();
    await ops.page
      .getByLabel('Maintenance notice')
      .fill('Upgrading at 18:00 UTC; expect a minute of reconnects.');
    await ops.page.getByLabel('Level').selectOption('warning');
    await ops.page.getByRole('button', { name: 'Post notice' }).click();

    // The tenant's console, in another org, shows it without a reload.
    const banner = tenantTab.page.getByTestId('maintenance-notice');
    await expect
      .poll(() => banner.textContent())
      .toBe('Maintenance: Upgrading at 18:00 UTC; expect a minute of reconnects.');
    await shot(tenantTab.page, 'operations-01-notice-banner');
    // A console opened later shows it too.
    await tenantTab.page.reload();
    await banner.waitFor();

    await ops.page.getByRole('button', { name: 'Clear notice' }).click();
    await expect.poll(() => banner.count()).toBe(0);

    // Restart asks first; cancelling sends nothing.
    const restarts: string[] = [];
    ops.page.on('request', (r) => {
      if (r.url().endsWith('/api/v1/admin/restart')) restarts.push(r.method());
    });
    await ops.page.getByRole('button', { name: 'Restart server…' }).click();
    const dialog = ops.page.getByRole('dialog', { name: 'Restart the server?' });
    await dialog.waitFor();
    await shot(ops.page, 'operations-02-restart-confirm', { fullPage: false });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => dialog.isVisible()).toBe(false);
    expect(restarts).toEqual([]);
    // Confirmed, it calls the restart route; this test server has no supervisor, so the server says so.
    await ops.page.getByRole('button', { name: 'Restart server…' }).click();
    await dialog.getByRole('button', { name: 'Restart now' }).click();
    await ops.page.getByText('this server runs without `switchboard serve`', { exact: false }).waitFor();
    expect(restarts).toEqual(['POST']);

    expect(tenantTab.problems).toEqual([]);
    expect(unexpected(ops.problems, [{ url: '/api/v1/admin/restart', status: 503 }])).toEqual([]);
  });

  it('reloads without the server into saved data, says so, and recovers; signing out removes the saved data', async () => {
    const { page, problems, close } = await openPage(suite.browser);
    suite.closeAfterTest(close);
    const person = await newAccount(suite.server, 'Nina Nomad');
    await suite.server.api.POST('/api/v1/agents', {
      ...person.auth,
      body: { name: 'Courier', instructions: 'Carry things.' },
    });
    await signIn(page, suite.server, person);
    await nav(page, 'Agents').click();
    await page.getByRole('link', { name: 'Courier' }).first().waitFor();
    // The cache reaches IndexedDB within a second of a change (the persister throttles writes).
    await expect.poll(() => savedQueries(page), { timeout: 10_000 }).toContain('Courier');
    expect(await savedQueries(page)).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+|rt_/);

    // The server stops answering: every API request fails as if the network were down.
    await page.route('**/api/**', (route) => route.abort('connectionrefused'));
    await page.reload();
    await page
      .getByTestId('saved-data-banner')
      .getByText('Showing saved data — offline', { exact: false })
      .waitFor();
    await page.getByRole('link', { name: 'Courier' }).first().waitFor();
    await shot(page, 'operations-03-offline-saved-data');
    await nav(page, 'Dashboard').click();
    await page.getByRole('heading', { name: 'Welcome, Nina Nomad' }).waitFor();

    // The server is back: the session is restored through the cookie and the notice goes.
    await page.unroute('**/api/**');
    await page.evaluate(() => window.dispatchEvent(new Event('online')));
    await expect.poll(() => page.getByTestId('saved-data-banner').count(), { timeout: 15_000 }).toBe(0);
    await expect.poll(() => page.getByTestId('connection-state').textContent()).toBe('Live');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await expect.poll(async () => (await savedQueries(page)) ?? '').not.toContain('Courier');
    // The browser logs each refused request while offline; nothing else went wrong.
    expect(problems.filter((p) => !p.text.includes('net::ERR_CONNECTION_REFUSED'))).toEqual([]);
  });
});
