import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { nav, newAccount, openPage, shot, signIn, unexpected, useBrowserAndServer } from './kit.ts';

/** The board column a task's card is in, by its title. */
const columnOf = (page: Page, title: string) =>
  page
    .getByTestId('task-card')
    .filter({ hasText: title })
    .evaluate((card) => card.closest('section')?.getAttribute('data-testid') ?? null);

describe('tasks', () => {
  const suite = useBrowserAndServer();

  it('creates a task, assigns it to an agent, starts it and watches it finish on the board', async () => {
    const { server } = suite;
    const owner = await newAccount(server, 'Tia Tasks', { org: 'Tasks Org' });
    const agent = await server.api.POST('/api/v1/agents', {
      ...owner.auth,
      body: { name: 'Planner', instructions: 'Plan things.', tools: ['demo.approval'] },
    });
    expect(agent.response.status).toBe(201);
    const { page, problems, close } = await openPage(suite.browser);
    suite.closeAfterTest(close);
    await signIn(page, server, owner);

    await nav(page, 'Tasks').click();
    await page.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
    await page.getByTestId('new-task').click();
    const drawer = page.getByTestId('task-drawer');
    await drawer.getByRole('heading', { name: 'New task' }).waitFor();
    await drawer.getByTestId('task-title').fill('Plan the launch');
    await drawer.getByTestId('task-description').fill('/sleep 1500\nWrite **the plan**');
    await drawer.getByTestId('task-assignee').selectOption({ label: 'Planner' });
    await drawer.getByLabel('Labels').fill('launch, q3');
    await drawer.getByTestId('task-save').click();
    await drawer.getByRole('heading', { name: 'Plan the launch' }).waitFor();
    await shot(page, 'tasks-01-created');

    // Started from the drawer: in progress at once, the run's progress live beneath.
    await drawer.getByTestId('task-start').click();
    await expect.poll(() => drawer.getByTestId('task-drawer-status').textContent()).toBe('In progress');
    await drawer.getByTestId('task-run-status').waitFor();
    await shot(page, 'tasks-02-started');

    // Closed with Escape; the board shows it in progress, then done when its run finishes.
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });
    await expect.poll(() => columnOf(page, 'Plan the launch')).toBe('column-in_progress');
    await shot(page, 'tasks-03-board-in-progress');
    await expect.poll(() => columnOf(page, 'Plan the launch'), { timeout: 20_000 }).toBe('column-done');
    await shot(page, 'tasks-04-board-done');

    // Its result, rendered as Markdown.
    await page.getByRole('button', { name: 'Plan the launch', exact: true }).click();
    const result = drawer.getByTestId('task-result');
    await result.locator('strong', { hasText: 'the plan' }).waitFor();
    await shot(page, 'tasks-05-result');
    await page.keyboard.press('Escape');

    // Moved with the keyboard: pick the card up with Space, carry it right, drop it.
    const other = await server.api.POST('/api/v1/tasks', {
      ...owner.auth,
      body: {
        title: 'Write the notes',
        description: '',
        status: 'todo',
        priority: 'normal',
        assignee: null,
        dueAt: null,
        labels: [],
      },
    });
    expect(other.response.status).toBe(201);
    await expect.poll(() => columnOf(page, 'Write the notes')).toBe('column-todo');
    await page.getByRole('button', { name: 'Move Write the notes' }).focus();
    // Each key waits for the board to show the one before (the sensor listens from the next tick).
    await page.keyboard.press('Space');
    await page.locator('.task-card.dragging').waitFor();
    await page.keyboard.press('ArrowRight');
    await page.locator('[data-testid="column-in_progress"].over').waitFor();
    await page.keyboard.press('Space');
    await expect.poll(() => columnOf(page, 'Write the notes')).toBe('column-in_progress');
    const moved = await server.api.GET('/api/v1/tasks/{id}', {
      ...owner.auth,
      params: { path: { id: other.data!.id } },
    });
    expect(moved.data!.status).toBe('in_progress');

    // The list view and the dashboard's figures.
    await page.getByRole('tab', { name: 'List' }).click();
    await expect.poll(() => page.getByTestId('task-row').count()).toBe(2);
    await shot(page, 'tasks-06-list');
    await nav(page, 'Dashboard').click();
    await expect.poll(() => page.getByTestId('task-stat-in_progress').textContent()).toBe('1');
    await expect.poll(() => page.getByTestId('task-stat-done7').textContent()).toBe('1');
    await shot(page, 'tasks-07-dashboard');
    expect(unexpected(problems, [])).toEqual([]);

    // A task waiting for an approval, in the dark: blocked on the board, approved from its drawer.
    const gated = await server.api.POST('/api/v1/tasks', {
      ...owner.auth,
      body: {
        title: 'Deploy the site',
        description: '/tool demo.approval {"action":"deploy"}',
        status: 'todo',
        priority: 'urgent',
        assignee: { type: 'agent', id: agent.data!.id },
        dueAt: new Date(Date.now() - 3_600_000).toISOString(),
        labels: ['ops'],
      },
    });
    await server.api.POST('/api/v1/tasks/{id}/start', {
      ...owner.auth,
      params: { path: { id: gated.data!.id } },
    });
    const dark = await openPage(suite.browser, { colorScheme: 'dark' });
    suite.closeAfterTest(dark.close);
    await signIn(dark.page, server, owner);
    await dark.page.goto(`${server.url}/tasks`);
    await expect.poll(() => columnOf(dark.page, 'Deploy the site')).toBe('column-blocked');
    await shot(dark.page, 'tasks-08-board-blocked-dark');
    await dark.page.getByRole('button', { name: 'Deploy the site', exact: true }).click();
    const gatedDrawer = dark.page.getByTestId('task-drawer');
    await gatedDrawer.getByTestId('task-blocked').waitFor();
    await shot(dark.page, 'tasks-09-drawer-blocked-dark', { fullPage: false });
    await gatedDrawer.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => gatedDrawer.getByTestId('task-drawer-status').textContent()).toBe('Done');
    expect(unexpected(dark.problems, [])).toEqual([]);
  });
});
