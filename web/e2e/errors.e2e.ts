import path from 'node:path';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import { beforeAll, describe, expect, it } from 'vitest';
import { nav, newAccount, openPage, shot, signIn, unexpected, useBrowserAndServer } from './kit.ts';

const WEB = path.resolve(import.meta.dirname, '..');

/** The shop fixture bundled with the real `@sentry/browser` as one script exposing `ShopApp`. */
async function bundleShop(): Promise<string> {
  const out = await build({
    configFile: false,
    logLevel: 'silent',
    root: WEB,
    build: {
      write: false,
      minify: false,
      lib: {
        entry: path.join(WEB, 'e2e/fixtures/shop-app.ts'),
        formats: ['iife'],
        name: 'ShopApp',
        fileName: 'shop-app',
      },
    },
  });
  const [first] = Array.isArray(out) ? out : [out];
  const chunk = (first as { output?: Array<{ type: string; code?: string }> }).output?.find(
    (o) => o.type === 'chunk',
  );
  if (!chunk?.code) throw new Error('the shop bundle has no code');
  return chunk.code;
}

interface ShopWindow {
  ShopApp: { start(dsn: string): void; fail(which: 'checkout' | 'coupon'): Promise<string | undefined> };
}

/**
 * A customer's page on its own origin-less address (served by the test, under the server's origin so
 * its requests are same-origin as a deployed app's would be to its own backend), with the shop script.
 */
async function openShop(page: Page, serverUrl: string, script: string, dsn: string): Promise<void> {
  const url = `${serverUrl}/e2e-shop/index.html`;
  await page.route(`${serverUrl}/e2e-shop/**`, (route) =>
    route.fulfill(
      route.request().url().endsWith('/shop-app.js')
        ? { contentType: 'text/javascript', body: script }
        : {
            contentType: 'text/html',
            body: '<!doctype html><title>Shop</title><script src="/e2e-shop/shop-app.js"></script><h1>Shop</h1>',
          },
    ),
  );
  await page.goto(url);
  await page.evaluate((d) => (window as unknown as ShopWindow).ShopApp.start(d), dsn);
}

const sendFrom = (page: Page, which: 'checkout' | 'coupon') =>
  page.evaluate((w) => (window as unknown as ShopWindow).ShopApp.fail(w), which);

describe('errors', () => {
  const suite = useBrowserAndServer();
  let shopScript = '';
  beforeAll(async () => {
    shopScript = await bundleShop();
  });

  it('a project, an error sent by @sentry/browser arriving live, its stack trace, bulk resolve', async () => {
    const { server } = suite;
    const owner = await newAccount(server, 'Erin Errors', { org: 'Errors Org' });
    const { page, context, problems, close } = await openPage(suite.browser);
    suite.closeAfterTest(close);
    await signIn(page, server, owner);

    // Nothing yet: the page explains how errors get here.
    await nav(page, 'Errors').click();
    await page.getByRole('heading', { name: 'Errors', level: 1 }).waitFor();
    await page.getByTestId('errors-empty').waitFor();
    await shot(page, 'errors-01-empty');

    // A project, with its DSN and SDK set-up.
    await page.getByTestId('error-projects-link').click();
    await page.getByRole('heading', { name: 'Error projects', level: 1 }).waitFor();
    await page.getByTestId('new-project').click();
    await page.getByTestId('project-name').fill('Shop');
    await page.getByLabel('Platform').fill('javascript');
    await page.getByTestId('project-verify').fill('npm test');
    await page.getByRole('button', { name: 'Create project' }).click();
    const card = page.getByTestId('project-card').filter({ hasText: 'Shop' });
    const dsn = (await card.getByTestId('project-dsn').textContent())!;
    const publicHost = new URL(server.ctx.config.publicUrl).host;
    expect(dsn).toMatch(new RegExp(`^http://[0-9a-f]{32}@${publicHost.replace(/\./g, '\\.')}/\\d+$`));
    await card.getByText('Set up an SDK').click();
    await expect.poll(() => card.getByTestId('sdk-snippet').textContent()).toContain(`dsn: "${dsn}"`);
    await shot(page, 'errors-02-projects');

    // Edited: the repository for fixes and a verify command with a quoted argument, saved as its words.
    await card.getByRole('button', { name: 'Edit' }).click();
    await card.getByTestId('project-repo-path').fill('/srv/shop');
    await card.getByTestId('project-verify').fill('npm run "test unit" -- --bail');
    await card.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => card.getByRole('button', { name: 'Save' }).count()).toBe(1);
    expect(await card.getByText('Give both the repository path and its branch, or neither').count()).toBe(1);
    await shot(page, 'errors-02b-project-edit');
    await card.getByTestId('project-repo-branch').fill('main');
    await card.getByRole('button', { name: 'Save' }).click();
    await card.getByText('/srv/shop @ main').waitFor();
    const saved = await server.api.GET('/api/v1/error-projects', owner.auth);
    const shopProject = saved.data!.items.find((p) => p.name === 'Shop')!;
    expect(shopProject.repository).toEqual({ path: '/srv/shop', branch: 'main' });
    expect(shopProject.verifyCommand).toEqual(['npm', 'run', 'test unit', '--', '--bail']);

    // The list is open and live; a customer's page reports an error through the real SDK.
    await nav(page, 'Errors').click();
    await page.getByTestId('errors-empty').waitFor();
    const shop = await context.newPage();
    // The test server's PUBLIC_URL is fixed before it picks its port, so the DSN names port 0; the shop is
    // given the same DSN at the address the server really listens on.
    await openShop(
      shop,
      server.url,
      shopScript,
      dsn.replace(`@${publicHost}/`, `@${new URL(server.url).host}/`),
    );
    expect(await sendFrom(shop, 'checkout')).toMatch(/^[0-9a-f]{32}$/);
    const rows = page.getByTestId('issue-row');
    await rows.filter({ hasText: 'Cart total is NaN' }).waitFor();
    expect(await rows.count()).toBe(1);
    await sendFrom(shop, 'coupon');
    await rows.filter({ hasText: 'Coupon SPRING has expired' }).waitFor();
    await expect.poll(() => rows.count()).toBe(2);
    await shot(page, 'errors-03-list');

    // The issue: its stack trace, the app's frames standing out.
    await rows.filter({ hasText: 'Cart total is NaN' }).getByRole('link').click();
    await page.getByTestId('issue-title').waitFor();
    const trace = page.getByTestId('stack-trace').first();
    await trace.waitFor();
    await expect.poll(() => trace.locator('.frame-app').first().textContent()).toContain('totalOf');
    expect(await trace.locator('.frame-app').filter({ hasText: 'checkout' }).count()).toBeGreaterThan(0);
    // The test runner's own frames are not the shop's: folded, and shown on demand.
    const fold = trace.getByTestId('frame-fold');
    expect(await fold.textContent()).toMatch(/^Show \d+ system frames?$/);
    expect(await trace.locator('.frame-system').count()).toBe(0);
    await fold.click();
    await expect.poll(() => trace.locator('.frame-system').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('event-tags').textContent()).toContain('checkout.step');
    expect(await page.getByTestId('event-user').textContent()).toContain('customer@example.com');
    expect(await page.getByTestId('event-release').textContent()).toContain('shop@1.4.2');
    expect(await page.getByTestId('breadcrumbs').textContent()).toContain('checkout with 0 items');
    await shot(page, 'errors-04-issue');

    // A second event of the same issue: the count moves live, and the older one is a click away.
    await sendFrom(shop, 'checkout');
    await expect.poll(() => page.getByTestId('issue-detail-count').textContent()).toBe('2');
    await page.getByTestId('event-older').click();
    await expect.poll(() => page.getByTestId('event-older').isDisabled()).toBe(true);
    await page.getByTestId('event-newer').click();

    // The keyboard: j moves to an issue, x ticks it.
    await nav(page, 'Errors').click();
    await expect.poll(() => rows.count()).toBe(2);
    // The checkout issue was seen last, so it heads the list once the list has caught up.
    await expect.poll(() => rows.first().getByRole('link').textContent()).toContain('Cart total');
    const second = (await rows.nth(1).getByRole('link').textContent())!;
    await rows.first().getByRole('link').focus();
    await page.keyboard.press('j');
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe(second);
    await page.keyboard.press('x');
    await expect.poll(() => page.getByTestId('selection-count').textContent()).toBe('1 selected');

    // Both resolved at once from the list; the unresolved list empties, the server agrees.
    await page.getByTestId('issue-select-all').check();
    await page.getByTestId('bulk-resolve').click();
    await expect.poll(() => rows.count()).toBe(0);
    const resolved = await server.api.GET('/api/v1/issues', {
      ...owner.auth,
      params: { query: { status: 'resolved' } },
    });
    expect(resolved.data!.items.map((i) => i.title).sort()).toEqual([
      'RangeError: Coupon SPRING has expired',
      'TypeError: Cart total is NaN: the cart has no items',
    ]);
    await page.getByTestId('issue-status-filter').selectOption('resolved');
    await expect.poll(() => rows.count()).toBe(2);
    await shot(page, 'errors-05-resolved');

    // The console reports its own uncaught errors to the built-in project (this org is the operator's).
    await page.getByTestId('issue-status-filter').selectOption('unresolved');
    await expect.poll(() => page.evaluate(() => '__SENTRY__' in window)).toBe(true);
    await page.evaluate(() => {
      setTimeout(() => {
        throw new Error('Console self-check failed on purpose');
      });
    });
    const own = rows.filter({ hasText: 'Console self-check failed on purpose' });
    await own.waitFor();
    await own.getByRole('link').click();
    await expect.poll(() => page.locator('.issue-meta').first().textContent()).toContain('Switchboard');
    expect(
      unexpected(problems, []).filter((p) => p.text !== 'uncaught: Console self-check failed on purpose'),
    ).toEqual([]);

    // The same pages in the dark.
    const dark = await openPage(suite.browser, { colorScheme: 'dark' });
    suite.closeAfterTest(dark.close);
    await signIn(dark.page, server, owner);
    await dark.page.goto(`${server.url}/errors?status=all`);
    await dark.page.getByTestId('issue-row').first().waitFor();
    await shot(dark.page, 'errors-06-list-dark');
    await dark.page.getByTestId('issue-row').filter({ hasText: 'Cart total' }).getByRole('link').click();
    await dark.page.getByTestId('stack-trace').first().waitFor();
    await shot(dark.page, 'errors-07-issue-dark');
    await dark.page.goto(`${server.url}/errors/projects`);
    await dark.page.getByTestId('project-card').first().waitFor();
    await shot(dark.page, 'errors-08-projects-dark');
    expect(unexpected(dark.problems, [])).toEqual([]);
  }, 180_000); // a long walk through five pages; the bound only catches a hang on a busy machine
});
