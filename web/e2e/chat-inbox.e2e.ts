import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../server/test/kit/test-server.ts';
import { type Account, nav, newAccount, openContext, shot, signIn, startBrowserAndServer } from './kit.ts';

/**
 * The console's WebSocket, passed through Playwright so a test can cut it: `setOffline` fails HTTP but
 * leaves open WebSockets alone (microsoft/playwright#4910). `drop` closes the open ones and refuses new
 * ones until `restore`; `mute` keeps the connection up but holds back what the server sends.
 */
async function controlSocket(context: BrowserContext) {
  let refusing = false;
  let muted = false;
  const open = new Set<WebSocketRoute>();
  await context.routeWebSocket(/\/api\/v1\/ws$/, (ws) => {
    if (refusing) {
      void ws.close({ code: 1001, reason: 'the test cut the network' });
      return;
    }
    const server = ws.connectToServer();
    ws.onMessage((message) => server.send(message));
    server.onMessage((message) => {
      if (!muted) ws.send(message);
    });
    ws.onClose((code, reason) => {
      open.delete(ws);
      void server.close({ code, reason });
    });
    server.onClose((code, reason) => {
      open.delete(ws);
      void ws.close({ code, reason });
    });
    open.add(ws);
  });
  return {
    async drop() {
      refusing = true;
      await Promise.all([...open].map((ws) => ws.close({ code: 1001, reason: 'the test cut the network' })));
      open.clear();
    },
    restore() {
      refusing = false;
    },
    mute(on: boolean) {
      muted = on;
    },
  };
}

/** A local address whose requests are answered only once `release` is called (then at once). */
async function heldUrl() {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let requests = 0;
  const held = createServer((_req, res) => {
    requests++;
    void released.then(() => res.end('done'));
  });
  await new Promise<void>((resolve) => held.listen(0, '127.0.0.1', resolve));
  const { port } = held.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/held`,
    release,
    requests: () => requests,
    close: () => new Promise<void>((resolve) => held.close(() => resolve())),
  };
}

/** Signs in and waits until the live connection is up. */
async function signInLive(page: Page, server: TestServer, account: Account): Promise<void> {
  await signIn(page, server, account);
  await expect.poll(() => page.getByTestId('connection-state').textContent()).toBe('Live');
}

async function createAgent(
  server: TestServer,
  account: Account,
  body: { name: string; slug?: string; tools?: string[]; handoffs?: string[] },
): Promise<string> {
  const created = await server.api.POST('/api/v1/agents', {
    ...account.auth,
    body: { model: 'builtin:scripted', instructions: `You are ${body.name}.`, ...body },
  });
  expect(created.response.status).toBe(201);
  return created.data!.id;
}

/** Starts a run through the API and waits until it stops for a person's approval. */
async function runWaitingForApproval(server: TestServer, account: Account, agentId: string, action: string) {
  const submitted = await server.api.POST('/api/v1/runs', {
    ...account.auth,
    body: { agentId, input: `/tool demo.approval {"action":"${action}"}` },
  });
  expect(submitted.response.status).toBe(202);
  const runId = submitted.data!.id;
  await expect.poll(async () => (await runStatus(server, account, runId)) ?? 'none').toBe('waiting_approval');
  return runId;
}

async function runStatus(server: TestServer, account: Account, runId: string) {
  const run = await server.api.GET('/api/v1/runs/{id}', { ...account.auth, params: { path: { id: runId } } });
  return run.data?.status;
}

describe('the console: live connection, hand-offs, inbox bulk actions, conversations', () => {
  let browser: Browser;
  let server: TestServer;
  let stop: (() => Promise<void>) | undefined;
  const contexts: BrowserContext[] = [];

  async function open() {
    const opened = await openContext(browser);
    contexts.push(opened.context);
    return opened;
  }

  /** A fresh watched page, signed in and live as a new account that has one agent on the built-in model. */
  async function liveWithAgent(name: string, agent: string) {
    const { context, problems } = await open();
    const page = await context.newPage();
    const account = await newAccount(server, name);
    const agentId = await createAgent(server, account, { name: agent });
    await signInLive(page, server, account);
    return { page, problems, account, agentId };
  }

  beforeAll(async () => {
    ({ browser, server, stop } = await startBrowserAndServer());
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });
  afterAll(() => stop?.());

  it('shows the offline banner while the connection is down, then recovers and goes live again', async () => {
    const { context, problems } = await open();
    const socket = await controlSocket(context);
    const page = await context.newPage();
    const account = await newAccount(server, 'Olga Offline');
    const agentId = await createAgent(server, account, { name: 'Shipper', tools: ['demo.approval'] });
    await signInLive(page, server, account);
    expect(await page.getByTestId('offline-banner').count()).toBe(0);

    // The network goes: HTTP fails and the WebSocket is cut, and cannot come back.
    await context.setOffline(true);
    await socket.drop();
    await page.getByTestId('offline-banner').getByText('You are offline').waitFor();
    await expect.poll(() => page.getByTestId('connection-state').textContent()).toBe('Reconnecting…');
    await shot(page, 'chat-inbox-01-offline');

    // The browser is online again but the server is not reachable yet: the banner says so.
    await context.setOffline(false);
    await page.getByTestId('offline-banner').getByText('Live updates are interrupted').waitFor();

    socket.restore();
    await expect
      .poll(() => page.getByTestId('connection-state').textContent(), { timeout: 20_000 })
      .toBe('Live');
    await page.getByTestId('offline-banner').waitFor({ state: 'detached' });

    // Live data flows again: an approval asked for elsewhere shows up in the badge without a reload.
    expect(await page.getByTestId('inbox-unread').count()).toBe(0);
    await runWaitingForApproval(server, account, agentId, 'ship');
    await expect.poll(() => page.getByTestId('inbox-unread').textContent()).toContain('1');
    await shot(page, 'chat-inbox-02-back-online');
    expect(problems).toEqual([]);
  });

  it('shows a hand-off inline and streams the specialist’s reply', async () => {
    const { context, problems } = await open();
    const page = await context.newPage();
    const account = await newAccount(server, 'Hana Handoff');
    const specialist = await createAgent(server, account, { name: 'Billing Specialist', slug: 'billing' });
    await createAgent(server, account, { name: 'Triage', slug: 'triage', handoffs: [specialist] });
    await signInLive(page, server, account);

    await nav(page, 'Chat').click();
    await page.getByTestId('agent-picker').selectOption({ label: 'Triage (test model)' });
    // The specialist answers the lines after the hand-off; its pause shows the reply arriving in parts.
    await page
      .getByTestId('composer')
      .fill('/handoff billing\nLet me look at your invoice.\n/sleep 2000\nIt is paid.');
    await page.getByTestId('composer').press('Enter');

    const handoff = page.locator('.event-handoff');
    await handoff.waitFor();
    expect(await handoff.textContent()).toContain('Handed off from Triage to Billing Specialist');
    const reply = page.getByTestId('assistant-text').last();
    await reply.getByText('Echo: Let me look at your invoice.').waitFor();
    // Mid-stream: the first part is in, the agent is still writing.
    expect(await reply.locator('.typing').count()).toBe(1);
    expect(await reply.locator('.msg-who').textContent()).toBe('Billing Specialist');
    await shot(page, 'chat-inbox-03-handoff-streaming');

    await expect.poll(() => reply.textContent()).toContain('Echo: It is paid.');
    await expect.poll(() => page.getByTestId('assistant-text').last().locator('.typing').count()).toBe(0);
    // Once the run is over the conversation, reloaded from the server, still shows the hand-off.
    await page.waitForURL(/\/chat\/[\w-]+$/);
    await page.reload();
    await page.locator('.event-handoff').waitFor();
    expect(await page.getByTestId('assistant-text').last().textContent()).toContain('Echo: It is paid.');
    await shot(page, 'chat-inbox-04-handoff-done');
    expect(problems).toEqual([]);
  });

  it('approves two approvals in one go from the inbox, and both runs succeed', async () => {
    const { context, problems } = await open();
    const page = await context.newPage();
    const account = await newAccount(server, 'Bea Bulk');
    const agentId = await createAgent(server, account, { name: 'Shipper', tools: ['demo.approval'] });
    const runs = [
      await runWaitingForApproval(server, account, agentId, 'ship crate 1'),
      await runWaitingForApproval(server, account, agentId, 'ship crate 2'),
    ];
    await signInLive(page, server, account);

    await nav(page, /Inbox/).click();
    const items = page.getByTestId('inbox-item');
    await expect.poll(() => items.count()).toBe(2);
    const bulk = page.getByRole('group', { name: 'Bulk actions' });
    // The first ticked by click, the second by Shift-click (a range of two).
    await items.nth(0).getByRole('checkbox').click();
    await items
      .nth(1)
      .getByRole('checkbox')
      .click({ modifiers: ['Shift'] });
    expect(await page.getByTestId('selection-count').textContent()).toBe('2 selected');
    expect(await bulk.getByRole('checkbox', { name: 'Select all on this page' }).isChecked()).toBe(true);
    // Both are pending approvals: approve and reject are offered; close is not.
    expect(await bulk.getByRole('button').allTextContents()).toEqual([
      'Approve (2)',
      'Reject (2)',
      'Mark read (2)',
      'Clear selection',
    ]);
    await shot(page, 'chat-inbox-05-inbox-selected');

    const posted: string[] = [];
    page.on('request', (request) => {
      const path = new URL(request.url()).pathname;
      if (request.method() === 'POST' && path.startsWith('/api/v1/inbox')) posted.push(path);
    });
    await bulk.getByRole('button', { name: 'Approve (2)' }).click();
    await page.getByTestId('toast').getByText('Approved 2 items.').waitFor();
    // Both in one request, which answers for each.
    expect(posted).toEqual(['/api/v1/inbox/bulk']);
    await page.getByText('Nothing needs you right now').waitFor();
    await shot(page, 'chat-inbox-06-inbox-approved');
    for (const runId of runs) {
      await expect.poll(() => runStatus(server, account, runId)).toBe('succeeded');
    }
    await nav(page, 'Runs').click();
    await expect
      .poll(() => page.getByTestId('run-status').allTextContents())
      .toEqual(['Succeeded', 'Succeeded']);
    expect(problems).toEqual([]);
  });

  it('says which items of a bulk action failed and why', async () => {
    const { context, problems } = await open();
    const socket = await controlSocket(context);
    const page = await context.newPage();
    const account = await newAccount(server, 'Fay Failure');
    const agentId = await createAgent(server, account, { name: 'Shipper', tools: ['demo.approval'] });
    await runWaitingForApproval(server, account, agentId, 'ship crate 1');
    await runWaitingForApproval(server, account, agentId, 'ship crate 2');
    await signInLive(page, server, account);
    await nav(page, /Inbox/).click();
    const items = page.getByTestId('inbox-item');
    await expect.poll(() => items.count()).toBe(2);
    const bulk = page.getByRole('group', { name: 'Bulk actions' });
    await bulk.getByRole('checkbox', { name: 'Select all on this page' }).check();

    // Someone else decides one meanwhile; this page hears nothing of it, so it still offers both.
    socket.mute(true);
    const inbox = await server.api.GET('/api/v1/inbox', {
      ...account.auth,
      params: { query: { status: 'open' } },
    });
    const decided = inbox.data!.items[0]!;
    const rejected = await server.api.POST('/api/v1/inbox/{id}/reject', {
      ...account.auth,
      params: { path: { id: decided.id } },
      body: { reason: 'not today' },
    });
    expect(rejected.response.status).toBe(200);
    await bulk.getByRole('button', { name: 'Approve (2)' }).click();

    const toast = page.getByTestId('toast');
    await toast.getByText('Approved 1 of 2 items; 1 failed:').waitFor();
    expect(await toast.locator('li').allTextContents()).toEqual([
      `${decided.title} — Inbox item ${decided.id} was already rejected`,
    ]);
    expect(await toast.getAttribute('role')).toBe('alert');
    await shot(page, 'chat-inbox-07-inbox-partly-failed');
    // The list is refetched once the batch is over: both are decided now.
    await page.getByText('Nothing needs you right now').waitFor();
    // Escape puts the notice away.
    await page.keyboard.press('Escape');
    await toast.waitFor({ state: 'detached' });
    socket.mute(false);
    // One bulk request answered for both items, so the refusal is no failed request.
    expect(problems).toEqual([]);
  });

  it('renames a conversation in place and deletes the open one', async () => {
    const { context, problems } = await open();
    const page = await context.newPage();
    const account = await newAccount(server, 'Cora Conversations');
    const agentId = await createAgent(server, account, { name: 'Helper' });
    const ids: string[] = [];
    for (const title of ['Quarterly numbers', 'Holiday plans']) {
      const created = await server.api.POST('/api/v1/conversations', {
        ...account.auth,
        body: { agentId, title },
      });
      ids.push(created.data!.id);
    }
    await signInLive(page, server, account);
    await page.goto(`${server.url}/chat/${ids[0]}`);
    await page.getByRole('heading', { name: 'Quarterly numbers' }).waitFor();
    const list = page.getByRole('complementary', { name: 'Conversations' });

    // Rename: the title becomes a field; Enter saves, in the list and the heading at once.
    await list.getByRole('button', { name: 'Rename Quarterly numbers' }).click();
    const field = list.getByRole('textbox', { name: 'Conversation title' });
    await field.fill('Q3 numbers');
    await shot(page, 'chat-inbox-08-conversation-rename');
    await field.press('Enter');
    await list.getByRole('link', { name: /Q3 numbers/ }).waitFor();
    await page.getByRole('heading', { name: 'Q3 numbers' }).waitFor();
    await expect
      .poll(() =>
        list.getByRole('button', { name: 'Rename Q3 numbers' }).evaluate((b) => b === document.activeElement),
      )
      .toBe(true);
    await expect
      .poll(async () => {
        const one = await server.api.GET('/api/v1/conversations/{id}', {
          ...account.auth,
          params: { path: { id: ids[0]! } },
        });
        return one.data?.title;
      })
      .toBe('Q3 numbers');

    // Escape gives up a rename.
    await list.getByRole('button', { name: 'Rename Holiday plans' }).click();
    await field.fill('Something else');
    await field.press('Escape');
    await list.getByRole('link', { name: /Holiday plans/ }).waitFor();

    // Delete asks first; saying no keeps it.
    page.once('dialog', (dialog) => void dialog.dismiss());
    await list.getByRole('button', { name: 'Delete Q3 numbers' }).click();
    expect(await list.getByTestId('conversation').count()).toBe(2);
    page.once('dialog', (dialog) => {
      expect(dialog.message()).toBe('Delete "Q3 numbers" and all its messages?');
      void dialog.accept();
    });
    await list.getByRole('button', { name: 'Delete Q3 numbers' }).click();
    await page.waitForURL(/\/chat$/);
    await page.getByTestId('toast').getByText('Conversation deleted').waitFor();
    await expect
      .poll(() => list.getByTestId('conversation').allTextContents())
      .toEqual([expect.stringContaining('Holiday plans')]);
    await page.getByRole('heading', { name: 'New conversation' }).waitFor();
    await shot(page, 'chat-inbox-09-conversation-deleted');
    const gone = await server.api.GET('/api/v1/conversations/{id}', {
      ...account.auth,
      params: { path: { id: ids[0]! } },
    });
    expect(gone.response.status).toBe(404);
    // Notices go by themselves.
    await page.getByTestId('toast').waitFor({ state: 'detached' });
    expect(problems).toEqual([]);
  });

  it('searches conversation titles on the server as one types', async () => {
    const { context, problems } = await open();
    const page = await context.newPage();
    const account = await newAccount(server, 'Sam Search');
    const agentId = await createAgent(server, account, { name: 'Helper' });
    for (const title of ['Quarterly numbers', 'Holiday plans', 'Office holiday party']) {
      const created = await server.api.POST('/api/v1/conversations', {
        ...account.auth,
        body: { agentId, title },
      });
      expect(created.response.status).toBe(201);
    }
    const searched: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      const q = url.searchParams.get('q');
      if (url.pathname === '/api/v1/conversations' && q !== null) searched.push(q);
    });
    await signInLive(page, server, account);
    await nav(page, 'Chat').click();
    const list = page.getByRole('complementary', { name: 'Conversations' });
    const titles = () => list.locator('.chat-link-title').allTextContents();
    await expect.poll(titles).toEqual(['Office holiday party', 'Holiday plans', 'Quarterly numbers']);
    expect(searched).toEqual([]);

    // Typed a key at a time: the server is asked once typing pauses, in any case.
    const search = list.getByRole('searchbox', { name: 'Search conversations' });
    await search.pressSequentially('HOLIDAY', { delay: 20 });
    await expect.poll(titles).toEqual(['Office holiday party', 'Holiday plans']);
    expect(searched.at(-1)).toBe('HOLIDAY');
    await shot(page, 'chat-inbox-10-conversation-search');

    await search.fill('no such title');
    await list.getByText('No conversation matches.').waitFor();
    expect(searched.at(-1)).toBe('no such title');

    // Cleared: every conversation again, without a search.
    await search.fill('');
    await expect.poll(titles).toHaveLength(3);
    expect(problems).toEqual([]);
  });

  it('picks up a turn still going after a reload, and in another tab', async () => {
    const { context, problems } = await open();
    const page = await context.newPage();
    const account = await newAccount(server, 'Rita Reload');
    // The turn waits on a tool call this test answers only once both tabs show it still going, so the
    // test never races the turn's own pace.
    const gate = await heldUrl();
    const allowed = await server.api.PUT('/api/v1/tools/http-allowlist', {
      ...account.auth,
      body: { hosts: ['127.0.0.1'] },
    });
    expect(allowed.response.status).toBe(200);
    await createAgent(server, account, { name: 'Waiter', tools: ['http.get'] });
    await signInLive(page, server, account);
    await nav(page, 'Chat').click();
    // The org's starter agent, Assistant, is listed first; this turn is Waiter's.
    await page.getByTestId('agent-picker').selectOption({ label: 'Waiter (test model)' });
    await page.getByTestId('composer').fill(`/tool http.get {"url":"${gate.url}"}\nAwake again.`);
    await page.getByTestId('composer').press('Enter');
    // The address names the conversation only: the turn is found again through its runs.
    await page.waitForURL(/\/chat\/[\w-]+$/);
    await page.getByTestId('stop').waitFor();

    const other = await context.newPage();
    await other.goto(page.url());
    await page.reload();
    for (const tab of [page, other]) {
      await tab.getByTestId('stop').waitFor();
      expect(await tab.getByTestId('user-message').last().textContent()).toContain('Awake again.');
    }
    await shot(page, 'chat-inbox-11-reload-mid-turn');
    expect(gate.requests()).toBe(1);
    gate.release();
    for (const tab of [page, other]) {
      await expect
        .poll(() => tab.getByTestId('assistant-text').last().textContent())
        .toContain('Echo: Awake again.');
      await tab.getByTestId('stop').waitFor({ state: 'detached' });
    }
    // Once the turn is over the reply is the conversation's: a reload shows it without a live turn.
    await page.reload();
    await expect.poll(() => page.getByTestId('assistant-text').allTextContents()).toHaveLength(1);
    expect(await page.getByTestId('stop').count()).toBe(0);
    expect(problems).toEqual([]);
    await gate.close();
  });
  it('shows a reply as Markdown: a table, task list, safe link, highlighted code, and HTML only as text', async () => {
    const { page, problems } = await liveWithAgent('Mia Markdown', 'Writer');
    await nav(page, 'Chat').click();
    const message = [
      'Here is the plan:',
      '',
      '| step | owner |',
      '|------|-------|',
      '| build | **Ada** |',
      '| ship | ~~Bob~~ Cy |',
      '',
      '- [x] tests',
      '- [ ] release',
      '',
      'See [the docs](https://example.com/docs) and <script>window.hacked = true</script>',
      '',
      '```ts',
      'const answer: number = 42;',
      '```',
    ].join('\n');
    await page.getByTestId('composer').fill(message);
    await page.getByTestId('composer').press('Enter');
    const reply = page.getByTestId('assistant-text').last();
    await expect.poll(() => reply.locator('.typing').count()).toBe(0);
    await reply.locator('pre code').waitFor();

    expect(await reply.locator('th').allTextContents()).toEqual(['step', 'owner']);
    expect(await reply.locator('td').allTextContents()).toEqual(['build', 'Ada', 'ship', 'Bob Cy']);
    expect(await reply.locator('del').textContent()).toBe('Bob');
    expect(await reply.locator('input[type=checkbox]:checked').count()).toBe(1);
    const link = reply.getByRole('link', { name: 'the docs' });
    expect(await link.getAttribute('href')).toBe('https://example.com/docs');
    expect(await link.getAttribute('target')).toBe('_blank');
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer nofollow');
    // The script is words on the screen, never an element, and never ran.
    expect(await reply.locator('script').count()).toBe(0);
    expect(await reply.textContent()).toContain('<script>window.hacked = true</script>');
    expect(await page.evaluate(() => (window as { hacked?: boolean }).hacked)).toBeUndefined();
    // The highlighter arrives in its own chunk, then colours the block.
    await expect.poll(() => reply.locator('code.hljs .hljs-keyword').first().textContent()).toBe('const');
    // The pane scrolled to the reply: a full-page shot would scroll it back to the top.
    await shot(page, 'chat-inbox-12-markdown-reply', { fullPage: false });
    // system -> light -> dark
    await page.getByTestId('theme-toggle').click();
    await page.getByTestId('theme-toggle').click();
    await shot(page, 'chat-inbox-13-markdown-reply-dark', { fullPage: false });
    expect(problems).toEqual([]);
  });

  it('draws a long conversation list a screenful at a time, pages on, and keeps the focused row', async () => {
    const { page, problems, account, agentId } = await liveWithAgent('Lou Longlist', 'Helper');
    for (let n = 1; n <= 60; n++) {
      const created = await server.api.POST('/api/v1/conversations', {
        ...account.auth,
        body: { agentId, title: `Topic ${String(n).padStart(3, '0')}` },
      });
      expect(created.response.status).toBe(201);
    }
    await nav(page, 'Chat').click();
    const list = page.getByRole('complementary', { name: 'Conversations' });
    const rows = list.getByTestId('conversation');
    await rows.first().waitFor();
    // The first page holds 50; only those near the view are drawn.
    const drawn = await rows.count();
    expect(drawn).toBeGreaterThan(5);
    expect(drawn).toBeLessThan(50);

    // The row holding focus stays while the list scrolls away from it.
    const firstTitle = await rows.first().locator('.chat-link-title').textContent();
    await list.getByRole('button', { name: `Rename ${firstTitle}` }).focus();
    const box = list.getByTestId('conversation-results');
    await box.evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    await list.getByRole('button', { name: 'Show more' }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe(
      `Rename ${firstTitle}`,
    );
    await shot(page, 'chat-inbox-14-long-list');

    // "Show more", from the keyboard, brings the last ten; scrolled to the end, the oldest is drawn.
    await list.getByRole('button', { name: 'Show more' }).focus();
    await page.keyboard.press('Enter');
    await list.getByRole('button', { name: 'Show more' }).waitFor({ state: 'detached' });
    await box.evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    await list.getByRole('link', { name: /Topic 001/ }).waitFor();
    expect(await rows.count()).toBeLessThan(60);
    expect(problems).toEqual([]);
  });
});
