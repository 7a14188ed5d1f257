import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { uniqueSuffix } from '../../server/test/kit/test-server.ts';
import { nav, newAccount, openPage, register, shot, signIn, tokenOf, useBrowserAndServer } from './kit.ts';

/** The feed's items as shown: their text, newest first. */
const feed = (page: Page) => page.getByTestId('update-item').allTextContents();

describe("the dashboard's recent updates", () => {
  const suite = useBrowserAndServer();

  it('shows the agent you created and the runs that finished, live, each linking to its page', async () => {
    const { page, problems, close } = await openPage(suite.browser);
    suite.closeAfterTest(close);
    const suffix = uniqueSuffix();

    await register(page, suite.server, {
      name: 'Grace Hopper',
      email: `grace-${suffix}@example.com`,
      password: 'compiler password 1',
      org: `Navy Lab ${suffix}`,
    });
    await page.getByRole('heading', { name: 'Recent updates' }).waitFor();
    // The only thing that has happened: the platform gave the new org its starter agent.
    await expect
      .poll(() => feed(page))
      .toEqual([expect.stringMatching(/^Created agent Assistant(just now|\d+ s ago)$/)]);
    await shot(page, 'updates-01-dashboard-empty');

    // An agent, made in the console.
    await nav(page, 'Agents').click();
    await page.getByRole('link', { name: 'New agent' }).click();
    await page.getByLabel('Name').fill('Triage');
    await page.getByLabel('Instructions').fill('Sort what comes in.');
    await page.getByRole('button', { name: 'Create agent' }).click();
    await page.getByRole('heading', { name: 'Triage' }).waitFor();
    const agentId = new URL(page.url()).pathname.split('/').pop()!;
    expect(agentId).toMatch(/^agt_/);

    // Something run through chat.
    await nav(page, 'Chat').click();
    await page.getByTestId('agent-picker').selectOption({ label: 'Triage (test model)' });
    await expect
      .poll(() => page.getByTestId('agent-picker').locator('option:checked').textContent())
      .toBe('Triage (test model)');
    await page.getByTestId('composer').fill('Hello there');
    await page.getByTestId('composer').press('Enter');
    await expect
      .poll(() => page.getByTestId('assistant-text').last().textContent())
      .toContain('Echo: Hello there');

    // Both show on the dashboard, newest first.
    await nav(page, 'Dashboard').click();
    await expect
      .poll(() => feed(page))
      .toEqual([
        expect.stringMatching(/^Chat turn of Triage succeeded(just now|\d+ s ago)$/),
        expect.stringMatching(/^You created agent Triage(just now|\d+ s ago)$/),
        expect.stringMatching(/^Created agent Assistant(just now|\d+ s ago)$/),
      ]);
    await expect.poll(() => page.getByTestId('connection-state').textContent()).toBe('Live');

    // A run submitted elsewhere (the API) arrives while the dashboard is open: the live events refresh it
    // (within 10 s of opening the dashboard, well before its 30 s poll could).
    const run = await suite.server.api.POST('/api/v1/runs', {
      headers: { Authorization: `Bearer ${await tokenOf(page)}` },
      body: { agentId, input: 'sort this, please' },
    });
    expect(run.response.status).toBe(202);
    await expect
      .poll(async () => (await feed(page)).slice(0, 2))
      .toEqual([
        expect.stringMatching(/^Run of Triage succeeded/),
        expect.stringMatching(/^You submitted a run of Triage/),
      ]);
    expect(await page.getByTestId('update-item').first().getAttribute('data-kind')).toBe('run.succeeded');
    await shot(page, 'updates-02-dashboard-feed');

    // Each item opens its subject: the run, then the agent.
    await page.getByTestId('update-item').first().getByRole('link').click();
    await page.waitForURL(new RegExp(`/runs/${run.data!.id}$`));
    await expect.poll(() => page.getByTestId('run-detail-status').textContent()).toBe('Succeeded');
    await page.goBack();
    await page
      .getByTestId('update-item')
      .filter({ hasText: 'You created agent Triage' })
      .getByRole('link', { name: /created agent Triage/ })
      .click();
    await page.waitForURL(new RegExp(`/agents/${agentId}$`));
    await page.getByRole('heading', { name: 'Triage' }).waitFor();

    expect(problems).toEqual([]);
  });

  it('renders in dark mode and on a phone without errors', async () => {
    const { page, problems, close } = await openPage(suite.browser, { colorScheme: 'dark' });
    suite.closeAfterTest(close);
    await page.setViewportSize({ width: 390, height: 800 });
    const owner = await newAccount(suite.server, 'Pat Phone', { password: 'phone password 1' });
    for (const name of ['Intake', 'Router with a rather long name that has to wrap on a phone']) {
      const made = await suite.server.api.POST('/api/v1/agents', { ...owner.auth, body: { name } });
      expect(made.response.status).toBe(201);
    }
    await signIn(page, suite.server, owner);
    // The two agents and the org's starter agent.
    await expect.poll(() => page.getByTestId('update-item').count()).toBe(3);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'updates-03-phone-dark');
    expect(problems).toEqual([]);
  });
});
