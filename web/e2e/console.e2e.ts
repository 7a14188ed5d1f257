import { describe, expect, it } from 'vitest';
import { openPage, shot, unexpected, useBrowserAndServer } from './kit.ts';

const STATUS_PAGE = { viewport: { width: 1100, height: 760 } };

describe('the console status page', () => {
  const suite = useBrowserAndServer();

  it('shows the platform, each dependency answering, and the developer links', async () => {
    const { page, problems, close } = await openPage(suite.browser, STATUS_PAGE);
    suite.closeAfterTest(close);
    await page.goto(`${suite.server.url}/status`);

    await expect.poll(() => page.getByTestId('overall-status').textContent()).toBe('Ready');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Switchboard');
    expect(await page.getByTestId('check-database').textContent()).toBe('databaseanswering');
    // One row per dependency the server probes, each answering.
    const names = [...suite.server.ctx.readiness.keys()].sort();
    expect(await page.locator('.check-name').allTextContents()).toEqual(names);
    expect(await page.locator('.check-state').allTextContents()).toEqual(names.map(() => 'answering'));
    const links = await page
      .getByRole('link')
      .evaluateAll((anchors) => anchors.map((a) => a.getAttribute('href')));
    expect(links).toEqual(['/docs', '/openapi.json', '/metrics']);

    await shot(page, 'console-status-light');
    expect(problems).toEqual([]);
  });

  it('renders in dark mode without errors', async () => {
    const { page, problems, close } = await openPage(suite.browser, { ...STATUS_PAGE, colorScheme: 'dark' });
    suite.closeAfterTest(close);
    await page.goto(`${suite.server.url}/status`);
    await expect.poll(() => page.getByTestId('overall-status').textContent()).toBe('Ready');
    const background = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    expect(background).toBe('rgb(15, 17, 21)');
    await shot(page, 'console-status-dark');
    expect(problems).toEqual([]);
  });

  it('reaches the API reference from its link', async () => {
    const { page, problems, close } = await openPage(suite.browser, STATUS_PAGE);
    suite.closeAfterTest(close);
    await page.goto(`${suite.server.url}/status`);
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
    const { page, problems, close } = await openPage(suite.browser, STATUS_PAGE);
    suite.closeAfterTest(close);
    await page.goto(`${suite.server.url}/docs`);
    await expect
      .poll(() => page.locator('.swagger-ui .title').first().textContent())
      .toContain('Switchboard API');
    expect(problems).toEqual([]);
  });

  // Last: it closes the server's database.
  it('says which dependency failed when the server is not ready', async () => {
    await suite.server.ctx.database.close();
    const { page, problems, close } = await openPage(suite.browser, STATUS_PAGE);
    suite.closeAfterTest(close);
    await page.goto(`${suite.server.url}/status`);

    await expect.poll(() => page.getByTestId('overall-status').textContent()).toBe('Not ready');
    // The message names the database (and whatever else lives in it, e.g. the queue).
    expect(await page.getByRole('alert').textContent()).toMatch(
      /^not ready: (\w+, )*database(, \w+)* failed \(request req_[\w-]+\)$/,
    );
    expect(await page.getByTestId('check-database').locator('.check-state').textContent()).not.toBe(
      'answering',
    );
    await shot(page, 'console-status-not-ready');
    // The browser reports the 503 itself; that is the only error allowed here.
    expect(unexpected(problems, [{ url: '/health/ready', status: 503 }])).toEqual([]);
    expect(problems.length).toBeGreaterThan(0);
  });
});
