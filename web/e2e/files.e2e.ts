import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  addMember,
  nav,
  newAccount,
  openPage,
  shot,
  signIn,
  tokenOf,
  unexpected,
  useBrowserAndServer,
} from './kit.ts';

/** Drops files onto the page's drop zone, as a drag from the desktop does. */
async function dropFiles(page: Page, files: Array<{ name: string; type: string; text: string }>) {
  const transfer = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([f.text], f.name, { type: f.type }));
    return dt;
  }, files);
  const zone = page.getByTestId('files-drop-zone');
  await zone.dispatchEvent('dragenter', { dataTransfer: transfer });
  await zone.dispatchEvent('dragover', { dataTransfer: transfer });
  await zone.dispatchEvent('drop', { dataTransfer: transfer });
}

/** The tree's entry for a name. */
const treeItem = (page: Page, name: string) =>
  page.getByRole('tree', { name: 'Files' }).getByRole('treeitem', { name, exact: true });

describe('files', () => {
  const suite = useBrowserAndServer();

  it('uploads by drag and drop, edits with a conflict explained, and hides a file from a viewer with a rule', async () => {
    const { server } = suite;
    const owner = await newAccount(server, 'Fay Files', { org: 'Files Org' });
    const viewer = await addMember(server, owner, { name: 'Vic Viewer', role: 'viewer' });
    const { page, problems, close } = await openPage(suite.browser);
    suite.closeAfterTest(close);
    page.on('dialog', (dialog) => void dialog.accept());
    await signIn(page, server, owner);

    // Upload: two files dropped on the page, each with its progress, then in the tree.
    await nav(page, 'Files').click();
    await page.getByRole('heading', { name: 'Files', level: 1 }).waitFor();
    await dropFiles(page, [
      { name: 'plan.md', type: 'text/markdown', text: '# Plan\n\n- ship the files page\n' },
      { name: 'public.txt', type: 'text/plain', text: 'for everyone' },
    ]);
    await expect
      .poll(() => page.getByTestId('upload').allTextContents())
      .toEqual(['/plan.mdUploaded (30 B)', '/public.txtUploaded (12 B)']);
    await treeItem(page, 'plan.md').waitFor();
    await treeItem(page, 'public.txt').waitFor();
    await shot(page, 'files-01-uploaded');

    // The tree from the keyboard: arrows move, Enter opens.
    await treeItem(page, 'plan.md').focus();
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('public.txt');
    await page.keyboard.press('Enter');
    await page.getByRole('navigation', { name: 'Folder path' }).getByText('public.txt').waitFor();
    await page.getByTestId('file-view').getByText('for everyone').waitFor();

    // The Markdown renders; the editor opens on its text.
    await treeItem(page, 'plan.md').click();
    await page.getByTestId('file-view').getByRole('heading', { name: 'Plan' }).waitFor();
    await shot(page, 'files-02-markdown');
    await page.getByRole('button', { name: 'Edit' }).click();
    const editor = page.getByRole('textbox', { name: 'Contents of plan.md' });
    await editor.waitFor();
    await editor.press('ControlOrMeta+End');
    await editor.pressSequentially('- write the e2e test');

    // Someone saves the file meanwhile: the save is refused and says why, with both ways out.
    const elsewhere = await server.api.PUT('/api/v1/files/content', {
      params: { query: { path: '/plan.md' } },
      body: new Blob(['# Plan\n\nchanged in another tab\n']),
      bodySerializer: (body) => body,
      headers: { Authorization: `Bearer ${await tokenOf(page)}`, 'content-type': 'text/markdown' },
    });
    expect(elsewhere.response.status).toBe(200);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const conflict = page.getByTestId('save-conflict');
    await conflict.waitFor();
    expect(await conflict.textContent()).toContain('was changed by someone else after you opened it');
    await shot(page, 'files-03-save-conflict');
    // system -> light -> dark, and back to system (light here)
    const theme = page.getByTestId('theme-toggle');
    await theme.click();
    await theme.click();
    await shot(page, 'files-03-save-conflict-dark', { fullPage: false });
    await theme.click();
    await conflict.getByRole('button', { name: 'Overwrite with mine' }).click();
    await page.getByTestId('file-view').getByText('write the e2e test').waitFor();
    await page.getByRole('button', { name: 'Versions' }).click();
    await expect.poll(() => page.getByTestId('file-versions').locator('tbody tr').count()).toBe(2);
    await shot(page, 'files-04-saved-with-versions');

    // A rule at /plan.md: the viewer role gets no access.
    await page.getByRole('button', { name: 'Permissions' }).click();
    const dialog = page.getByRole('dialog', { name: 'Permissions of plan.md' });
    await dialog.getByLabel('Who').selectOption('role');
    await dialog.getByLabel('Role', { exact: true }).selectOption({ label: 'viewer' });
    await dialog.getByLabel('Access', { exact: true }).selectOption('none');
    await dialog.getByRole('button', { name: 'Add rule' }).click();
    await dialog.getByTestId('own-rules').getByText('viewer').waitFor();
    await shot(page, 'files-05-permissions');
    await dialog.getByRole('button', { name: 'Save rules' }).click();
    await page.getByText('Permissions saved').waitFor();

    // The viewer does not see it: not in the tree, and its address says it is not there.
    const asViewer = await openPage(suite.browser, { colorScheme: 'dark' });
    suite.closeAfterTest(asViewer.close);
    await signIn(asViewer.page, server, viewer);
    await nav(asViewer.page, 'Files').click();
    await treeItem(asViewer.page, 'public.txt').waitFor();
    expect(await treeItem(asViewer.page, 'plan.md').count()).toBe(0);
    expect(await asViewer.page.getByRole('button', { name: 'Upload' }).count()).toBe(0);
    await shot(asViewer.page, 'files-06-viewer-dark');
    await asViewer.page.goto(`${server.url}/files?path=${encodeURIComponent('/plan.md')}`);
    await asViewer.page.getByText('Nothing at /plan.md').waitFor();
    expect(await asViewer.page.getByTestId('file-card').count()).toBe(0);
    await shot(asViewer.page, 'files-07-viewer-hidden-dark');

    expect(unexpected(problems, [{ url: '/api/v1/files/content?path=%2Fplan.md', status: 412 }])).toEqual([]);
    expect(
      unexpected(asViewer.problems, [
        { url: '/api/v1/files/metadata?path=%2Fplan.md', status: 404 },
        { url: '/api/v1/files/tree?path=%2Fplan.md', status: 404 },
      ]),
    ).toEqual([]);
  });
});
