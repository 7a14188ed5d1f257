import { afterAll, describe, expect, it } from 'vitest';
import { clientAs } from '../../server/test/kit/api-client.ts';
import { issueOfEvent, sendEvent } from '../../server/test/kit/errors.ts';
import { cartEvent, proposing } from '../../server/test/kit/fixes.ts';
import { makeGitRepo } from '../../server/test/kit/git-repo.ts';
import { nav, newAccount, openPage, shot, signIn, unexpected, useBrowserAndServer } from './kit.ts';

const CART = 'export function total(items) {\n  return items.reduce((sum, i) => sum + i.price, 0);\n}\n';
const CHECK =
  "const fs = require('node:fs');\n" +
  "if (!fs.readFileSync('src/cart.js', 'utf8').includes('i.quantity')) process.exit(1);\n" +
  "console.log('cart total checked');\n";
const QUANTITY = { path: 'src/cart.js', find: 'sum + i.price', replace: 'sum + i.price * i.quantity' };

describe('fixes', () => {
  // A real repository under the folder the operator allows; the verify command runs this Node.
  const repo = makeGitRepo({ 'src/cart.js': CART, 'test/check.js': CHECK });
  const suite = useBrowserAndServer({
    env: { FIX_REPOSITORY_ROOTS: repo.root, FIX_VERIFY_COMMANDS: process.execPath },
  });
  afterAll(() => repo.cleanup());

  it('asks for a fix on an issue, watches the fixer, reviews the diff, approves it and sees it verified', async () => {
    const { server } = suite;
    const owner = await newAccount(server, 'Fiona Fixes', { org: 'Fixes Org' });
    const api = clientAs(server, owner.auth.headers.Authorization.replace(/^Bearer /, ''));
    const created = await api.POST('/api/v1/error-projects', {
      body: {
        name: 'Shop',
        platform: 'node',
        repository: { path: repo.dir, branch: 'main' },
        verifyCommand: [process.execPath, 'test/check.js'],
      },
    });
    const project = created.data!;
    const issue = await issueOfEvent(api, project.id, await sendEvent(server, project, cartEvent()));
    const before = repo.state();

    const { page, problems, close } = await openPage(suite.browser);
    suite.closeAfterTest(close);
    await signIn(page, server, owner);
    await page.goto(`${server.url}/errors/issues/${issue.id}`);
    const panel = page.getByTestId('fix-panel');
    await panel.getByText('No fix asked for yet').waitFor();
    await expect.poll(() => panel.getByTestId('fix-repository').textContent()).toContain(repo.dir);
    await shot(page, 'fixes-01-panel');

    // The built-in model proposes exactly the edit its instructions name.
    await panel.getByTestId('fix-instructions').fill(proposing(QUANTITY, 'Quantities were ignored.'));
    await panel.getByTestId('fix-request').click();
    const status = panel.getByTestId('fix-detail').getByTestId('fix-status');
    await expect.poll(() => status.getAttribute('data-status')).toBe('proposed');
    await expect.poll(() => panel.getByTestId('fix-timeline').textContent()).toContain('repo.propose_patch');
    const diff = panel.getByTestId('fix-diff');
    expect(await diff.textContent()).toContain(
      'return items.reduce((sum, i) => sum + i.price * i.quantity, 0);',
    );
    expect(await diff.locator('.diff-added').count()).toBe(1);
    expect(await diff.locator('.diff-removed').count()).toBe(1);
    await panel.getByRole('tab', { name: 'Side by side' }).click();
    await diff.locator('table.diff-split').waitFor();
    expect(await panel.getByTestId('fix-root-cause').textContent()).toContain('Quantities were ignored.');
    await shot(page, 'fixes-02-proposed');

    // The review waits in the inbox too, and leads back to the issue.
    await nav(page, /Inbox/).click();
    const notice = page
      .getByTestId('inbox-item')
      .filter({ hasText: `Review the proposed fix for ${issue.shortId}` });
    await notice.getByTestId('inbox-review-fix').click();
    await page.getByTestId('fix-approve').click();
    await expect.poll(() => status.getAttribute('data-status')).toBe('verified');
    expect(await panel.getByTestId('fix-verify-output').textContent()).toBe('cart total checked\n');
    const branch = `switchboard/fix-${issue.shortId}`;
    expect(await panel.getByTestId('fix-commit').textContent()).toContain(branch);
    await shot(page, 'fixes-03-verified');

    // The commit is on its own branch; the checked-out branch and working tree are as they were.
    expect(repo.git('show', `${branch}:src/cart.js`)).toBe(CART.replace('i.price', 'i.price * i.quantity'));
    expect(repo.state()).toEqual(before);
    expect(unexpected(problems, [])).toEqual([]);
  });
});
