import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { newAccount, openPage, signIn, unexpected, useBrowserAndServer } from './kit.ts';

/**
 * The console's session in a real Chromium: the refresh token lives only in an HttpOnly cookie (which
 * Chromium accepts with `Secure` on http://127.0.0.1, a potentially trustworthy origin), a reload signs
 * back in through it, and a page of another origin cannot use it.
 */
describe('the console session', () => {
  const suite = useBrowserAndServer();

  it('survives a reload through the HttpOnly cookie, with no token in script-readable storage', async () => {
    const { page, context, problems, close } = await openPage(suite.browser);
    suite.closeAfterTest(close);
    const person = await newAccount(suite.server, 'Ada Lovelace');
    await signIn(page, suite.server, person);

    const cookies = await context.cookies(`${suite.server.url}/api/v1/auth/refresh`);
    const refresh = cookies.find((c) => c.name === 'sb_refresh');
    expect(refresh).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/api/v1/auth' });
    expect(refresh?.value).toMatch(/^rt_/);
    // Not even the page's own scripts see it.
    expect(await page.evaluate(() => document.cookie)).not.toContain('sb_refresh');

    const storage = () =>
      page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } }));
    const noTokens = (text: string) => {
      expect(text).not.toContain(refresh!.value);
      expect(text).not.toMatch(/rt_[\w-]{20}/);
      expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/); // no JWT
    };
    noTokens(await storage());

    const refreshed = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/refresh'));
    await page.reload();
    expect((await refreshed).status()).toBe(200);
    await page.getByRole('heading', { name: 'Welcome, Ada Lovelace' }).waitFor();
    noTokens(await storage());
    // The cookie was rotated by the reload's refresh.
    const after = (await context.cookies(`${suite.server.url}/api/v1/auth/refresh`)).find(
      (c) => c.name === 'sb_refresh',
    );
    expect(after?.value).not.toBe(refresh?.value);

    // Signing out clears the cookie, and a reload stays signed out.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await expect
      .poll(async () => (await context.cookies(`${suite.server.url}/api/v1/auth/refresh`)).length)
      .toBe(0);
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(problems).toEqual([]);
  });

  it('a second tab signs in through the shared cookie, and signing out in one signs out both', async () => {
    const { page, context, problems, close } = await openPage(suite.browser);
    suite.closeAfterTest(close);
    const person = await newAccount(suite.server, 'Grace Hopper');
    await signIn(page, suite.server, person);
    const second = await context.newPage();
    await second.goto(suite.server.url);
    await second.getByRole('heading', { name: 'Welcome, Grace Hopper' }).waitFor();
    // Both tabs refresh with the one cookie without spending it twice (the server would end both).
    await Promise.all([page.reload(), second.reload()]);
    await page.getByRole('heading', { name: 'Welcome, Grace Hopper' }).waitFor();
    await second.getByRole('heading', { name: 'Welcome, Grace Hopper' }).waitFor();

    await second.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You signed out in another tab.').waitFor();
    expect(problems).toEqual([]);
  });

  it('refuses a request from another origin carrying the cookie: 403 csrf_rejected, the session intact', async () => {
    const { page, problems, close } = await openPage(suite.browser);
    suite.closeAfterTest(close);
    const person = await newAccount(suite.server, 'Mallory Target');
    await signIn(page, suite.server, person);

    // A page of another origin on the same site (127.0.0.1, another port): SameSite lets the cookie go
    // with its request, so only the server's Origin check stands in the way. The classic forgery: that
    // page posts a form to the refresh route.
    const target = `${suite.server.url}/api/v1/auth/refresh`;
    const elsewhere = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        `<!doctype html><title>elsewhere</title><form method="post" action="${target}" enctype="text/plain">` +
          '<input name="x" value="1"><button>Win a prize</button></form>',
      );
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    suite.closeAfterTest(() => new Promise((resolve) => elsewhere.close(() => resolve())));
    await page.goto(`http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/attack`);
    const answer = page.waitForResponse(target);
    await page.getByRole('button', { name: 'Win a prize' }).click();
    const response = await answer;
    const sent = await response.request().allHeaders();
    expect(sent.cookie).toContain('sb_refresh=');
    expect(sent['sec-fetch-site']).toBe('same-site');
    expect(response.status()).toBe(403);
    expect(await response.json()).toMatchObject({ error: { code: 'csrf_rejected' } });

    // Back on the console, the cookie still signs in: the forged request spent nothing.
    await page.goto(suite.server.url);
    await page.getByRole('heading', { name: 'Welcome, Mallory Target' }).waitFor();
    expect(unexpected(problems, [{ url: '/api/v1/auth/refresh', status: 403 }])).toEqual([]);
  });
});
