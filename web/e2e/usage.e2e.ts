import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { TestServer } from '../../server/test/kit/test-server.ts';
import {
  type Account,
  nav,
  newAccount,
  openPage,
  shot,
  signIn,
  unexpected,
  useBrowserAndServer,
} from './kit.ts';

/**
 * The Usage page (issue "Usage, costs and budgets"): a chat turn's cost arrives live, and a budget made
 * in the editor refuses the next turn, which the chat explains.
 */

/** An org whose builtin:scripted costs $1,000 per million output tokens: each word of a reply, $0.001. */
async function pricedAccount(server: TestServer, name: string) {
  const account = await newAccount(server, name);
  const priced = await server.api.PUT('/api/v1/usage/prices/{model}', {
    ...account.auth,
    params: { path: { model: 'builtin:scripted' } },
    body: { inputPerMTok: 0, cachedInputPerMTok: 0, outputPerMTok: 1000 },
  });
  expect(priced.response.status).toBe(200);
  const agent = await server.api.POST('/api/v1/agents', {
    ...account.auth,
    body: { name: 'Counter', model: 'builtin:scripted', modelSettings: { maxTokens: 10 } },
  });
  expect(agent.response.status).toBe(201);
  return { account, agentId: agent.data!.id };
}

async function chatTurn(server: TestServer, account: Account, agentId: string, message: string) {
  return server.api.POST('/api/v1/chat', {
    ...account.auth,
    body: { agentId, message, detach: false, includeEvents: false },
  });
}

async function openUsage(page: Page, server: TestServer, account: Account) {
  await signIn(page, server, account);
  await expect.poll(() => page.getByTestId('connection-state').textContent()).toBe('Live');
  await nav(page, 'Usage').click();
  await page.getByRole('heading', { name: 'Usage', level: 1 }).waitFor();
}

describe('the Usage page', () => {
  const suite = useBrowserAndServer();

  it('shows what a chat turn cost as soon as it is recorded, without a reload', async () => {
    const { account, agentId } = await pricedAccount(suite.server, 'Ursula Usage');
    const { page, problems, close } = await openPage(suite.browser);
    suite.closeAfterTest(close);
    await openUsage(page, suite.server, account);
    await expect.poll(() => page.getByTestId('usage-cost').textContent()).toBe('$0');

    expect((await chatTurn(suite.server, account, agentId, '/tokens 7')).response.status).toBe(200);
    await expect.poll(() => page.getByTestId('usage-cost').textContent()).toBe('$0.007');
    expect(await page.getByTestId('usage-calls').textContent()).toBe('1');
    expect(await page.getByTestId('usage-groups').textContent()).toContain('builtin:scripted');
    await page.getByTestId('usage-timeline').waitFor();
    await shot(page, 'usage-page-light');
    expect(unexpected(problems, [])).toEqual([]);
  });

  it('makes a budget in the editor, and the chat explains the turn it refuses', async () => {
    const { account, agentId } = await pricedAccount(suite.server, 'Boris Budget');
    expect((await chatTurn(suite.server, account, agentId, '/tokens 10')).response.status).toBe(200);
    const { page, problems, close } = await openPage(suite.browser, { colorScheme: 'dark' });
    suite.closeAfterTest(close);
    await openUsage(page, suite.server, account);

    await page.getByRole('button', { name: 'New budget' }).click();
    const form = page.getByRole('form', { name: 'New budget' });
    await form.getByLabel('Limit (USD)').fill('0.025');
    await form.getByLabel('Period').selectOption('day');
    await form.getByRole('button', { name: 'Create budget' }).click();
    const budget = page.locator('.budget').first();
    await expect.poll(() => budget.getByTestId('budget-spent').textContent()).toBe('$0.01 of $0.025');
    await shot(page, 'usage-budget-dark');

    // The budget counts the day's earlier turn: one more fits, the next could pass the limit and is
    // refused before the model is called.
    await nav(page, 'Chat').click();
    // Counter's turns are small enough to fit; the org's starter agent (listed first) reserves 4,096 tokens.
    await page.getByTestId('agent-picker').selectOption({ label: 'Counter (test model)' });
    const message = page.getByRole('textbox', { name: 'Message' });
    await message.fill('/tokens 10');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => page.getByTestId('assistant-text').last().textContent()).toContain('word10');
    await message.fill('/tokens 10');
    await page.getByRole('button', { name: 'Send' }).click();
    const refusal = page.locator('.status-failed').last();
    await expect.poll(() => refusal.textContent()).toContain('has no room for this call');
    await shot(page, 'usage-budget-refused-chat', { fullPage: false });
    expect(unexpected(problems, [])).toEqual([]);
  });
});
