import type { SwitchboardClient } from '@switchboard/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAs, failure } from './kit/api-client.ts';
import { type ErrorProject, makeProject } from './kit/errors.ts';
import { proposing, reportCart, requestFix, waitForFix } from './kit/fixes.ts';
import { type GitRepo, makeGitRepo } from './kit/git-repo.ts';
import { startTestServer, type TestServer } from './kit/test-server.ts';
import { addMember, registerOwner, type Session } from './kit/users.ts';

/**
 * AI fixes end to end on a real git repository in a temporary folder (inside FIX_REPOSITORY_ROOTS):
 * the built-in model proposes the edit its instructions name, a person approves, the commit lands on
 * its own branch with the repository's checked-out branch, HEAD and working tree untouched, and the
 * project's verify command runs in a temporary worktree.
 */

const CART = 'export function total(items) {\n  return items.reduce((sum, i) => sum + i.price, 0);\n}\n';
const CHECK =
  "const fs = require('node:fs');\n" +
  "const cart = fs.readFileSync('src/cart.js', 'utf8');\n" +
  "if (!cart.includes('i.quantity')) { console.error('cart.js still ignores quantities'); process.exit(1); }\n" +
  "console.log('cart total checked');\n";
const QUANTITY = { path: 'src/cart.js', find: 'sum + i.price', replace: 'sum + i.price * i.quantity' };
const NODE = process.execPath;

let server: TestServer;
let owner: Session;
let api: SwitchboardClient;
let repo: GitRepo;
let outside: GitRepo;
let project: ErrorProject;

beforeAll(async () => {
  repo = makeGitRepo({
    'src/cart.js': CART,
    'test/check.js': CHECK,
    'README.md': '# Shop\n',
    'src/escape': '->../../../../etc/passwd',
  });
  outside = makeGitRepo({ 'a.txt': 'a\n' });
  server = await startTestServer({
    env: {
      FIX_REPOSITORY_ROOTS: repo.root,
      FIX_VERIFY_COMMANDS: NODE,
      FIX_VERIFY_TIMEOUT_SECONDS: '60',
    },
  });
  owner = await registerOwner(server, 'fixes');
  api = clientAs(server, owner.accessToken);
  project = await shopProject();
});

/** A project on the shop repository, verified by its check script. */
const shopProject = (name?: string) =>
  makeProject(api, {
    ...(name ? { name } : {}),
    repository: { path: repo.dir, branch: 'main' },
    verifyCommand: [NODE, 'test/check.js'],
  });
afterAll(async () => {
  await server?.close();
  repo?.cleanup();
  outside?.cleanup();
});

async function runLog(runId: string) {
  const res = await api.GET('/api/v1/runs/{id}/events', {
    params: { path: { id: runId }, query: {} },
    headers: { accept: 'application/json' },
  });
  return (res.data as { items: Array<{ type: string; data: Record<string, unknown> }> }).items;
}

describe('a fix from request to verified commit', () => {
  it('proposes the edit, waits for a person, commits it on its own branch and verifies it', async () => {
    const issue = await reportCart(server, api, project, {
      fingerprint: ['whole flow'],
      release: 'shop@1.0.0',
    });
    const requested = await requestFix(api, issue.id, proposing(QUANTITY, 'Quantities were ignored.'));
    expect(requested).toMatchObject({ issueId: issue.id, status: 'queued', edits: [], diff: null });
    expect(requested.runId).toMatch(/^run_/);
    expect(requested.repository).toEqual({ path: repo.dir, branch: 'main', baseCommit: repo.state().head });

    const proposed = await waitForFix(api, requested.id, ['proposed']);
    expect(proposed.edits).toEqual([QUANTITY]);
    expect(proposed.files).toEqual(['src/cart.js']);
    expect(proposed.diff).toBe(
      'diff --git a/src/cart.js b/src/cart.js\n--- a/src/cart.js\n+++ b/src/cart.js\n@@ -1,3 +1,3 @@\n' +
        ' export function total(items) {\n' +
        '-  return items.reduce((sum, i) => sum + i.price, 0);\n' +
        '+  return items.reduce((sum, i) => sum + i.price * i.quantity, 0);\n' +
        ' }\n',
    );
    expect(proposed.rootCause).toContain('Quantities were ignored.');

    // The run's input: the person's instructions first, then the issue quoted, with its stack trace.
    const run = await api.GET('/api/v1/runs/{id}', { params: { path: { id: proposed.runId! } } });
    expect(run.data!.input.startsWith(`/tool repo.propose_patch ${JSON.stringify(QUANTITY)}`)).toBe(true);
    expect(run.data!.input).toContain(
      '>   [in app] /srv/shop/src/cart.js:2 in total\n>       »   return items.reduce((sum, i) => sum + i.price, 0);',
    );
    // The code around the frame, from the branch, found by the end of the deployed path.
    expect(run.data!.input).toContain(
      '> src/cart.js:2 in total\n>   1 | export function total(items) {\n' +
        '> » 2 |   return items.reduce((sum, i) => sum + i.price, 0);\n>   3 | }',
    );
    expect(run.data!.metadata).toEqual({ fixId: requested.id, issueId: issue.id });
    const log = await runLog(proposed.runId!);
    expect(log.map((e) => e.type)).toContain('tool.called');
    expect(log.find((e) => e.type === 'tool.result')?.data).toMatchObject({
      name: 'repo.propose_patch',
      isError: false,
    });

    // A person is asked, in the inbox.
    const inbox = await api.GET('/api/v1/inbox', { params: { query: { status: 'open' } } });
    const notice = inbox.data!.items.find((i) => (i.payload as { fixId?: string }).fixId === requested.id);
    expect(notice).toMatchObject({ kind: 'notice', status: 'open' });

    const before = repo.state();
    const approved = await api.POST('/api/v1/fixes/{id}/approve', { params: { path: { id: requested.id } } });
    expect(approved.response.status, JSON.stringify(approved.error)).toBe(202);
    expect(approved.data!.status).toBe('applying');

    const verified = await waitForFix(api, requested.id, ['verified', 'verification_failed', 'failed']);
    expect(verified).toMatchObject({
      status: 'verified',
      branch: `switchboard/fix-${issue.shortId}`,
      verify: { command: [NODE, 'test/check.js'], exitCode: 0, outputTail: 'cart total checked\n' },
      error: null,
      holding: true,
      decidedBy: owner.userId,
    });
    // Exactly the diff, on a new branch whose parent is the branch's tip; nothing else moved.
    expect(repo.git('rev-parse', verified.branch!).trim()).toBe(verified.commit);
    expect(repo.git('rev-parse', `${verified.commit}^`).trim()).toBe(before.head);
    expect(repo.git('diff', '--name-only', before.head, verified.commit!)).toBe('src/cart.js\n');
    expect(repo.git('show', `${verified.commit}:src/cart.js`)).toBe(
      CART.replace('i.price', 'i.price * i.quantity'),
    );
    expect(repo.git('diff', before.head, verified.commit!)).toContain(
      '-  return items.reduce((sum, i) => sum + i.price, 0);\n+  return items.reduce((sum, i) => sum + i.price * i.quantity, 0);',
    );
    expect(repo.state()).toEqual(before);
    expect(repo.git('show', 'HEAD:src/cart.js')).toBe(CART);

    const closed = await api.GET('/api/v1/inbox/{id}', { params: { path: { id: notice!.id } } });
    expect(closed.data!.status).toBe('closed');
    const again = await api.POST('/api/v1/fixes/{id}/approve', { params: { path: { id: requested.id } } });
    expect(failure(again)).toMatchObject({ status: 409, code: 'fix_not_proposed' });

    const history = await api.GET('/api/v1/issues/{id}/fixes', { params: { path: { id: issue.id } } });
    expect(history.data!.items.map((f) => f.id)).toContain(requested.id);

    // The activity feed tells the story, naming the issue by its short id.
    const feed = await api.GET('/api/v1/updates', { params: { query: { limit: 100 } } });
    const told = feed
      .data!.items.filter((u) => u.subject?.type === 'fix' && u.subject.id === requested.id)
      .map((u) => [u.kind, u.summary])
      .reverse();
    expect(told).toEqual([
      ['fix.requested', `asked for a fix of ${issue.shortId}`],
      ['fix.proposed', `a fix of ${issue.shortId} is proposed and waits for review`],
      ['fix.approved', `approved the fix of ${issue.shortId}`],
      ['fix.applied', `the fix of ${issue.shortId} was committed on switchboard/fix-${issue.shortId}`],
      ['fix.verified', `the fix of ${issue.shortId} passed its verify command`],
    ]);
  });

  it('records a failing verify command as verification_failed with the output tail', async () => {
    const failing = await shopProject('Failing verify');
    const issue = await reportCart(server, api, failing, { fingerprint: ['readme'] });
    const fix = await requestFix(
      api,
      issue.id,
      proposing({ path: 'README.md', find: '# Shop', replace: '# The shop' }),
    );
    await waitForFix(api, fix.id, ['proposed']);
    await api.POST('/api/v1/fixes/{id}/approve', { params: { path: { id: fix.id } } });
    const done = await waitForFix(api, fix.id, ['verified', 'verification_failed', 'failed']);
    expect(done).toMatchObject({
      status: 'verification_failed',
      verify: { exitCode: 1, outputTail: 'cart.js still ignores quantities\n' },
      error: { code: 'verification_failed', message: 'the verify command exited with 1' },
    });
    expect(repo.git('show', `${done.commit}:README.md`)).toBe('# The shop\n');
  });

  it('fails with patch_conflict when the branch changed under the edit, making no branch', async () => {
    const conflictRepo = makeGitRepo({ 'src/cart.js': CART });
    const own = await startTestServer({ env: { FIX_REPOSITORY_ROOTS: conflictRepo.root } });
    try {
      const person = await registerOwner(own, 'fixes-conflict');
      const client = clientAs(own, person.accessToken);
      const p = await makeProject(client, { repository: { path: conflictRepo.dir, branch: 'main' } });
      const issue = await reportCart(own, client, p);
      const fix = await requestFix(client, issue.id, proposing(QUANTITY));
      await waitForFix(client, fix.id, ['proposed']);
      conflictRepo.commit(
        { 'src/cart.js': CART.replace('sum + i.price', 'sum + (i.price ?? 0)') },
        'meanwhile',
      );
      const before = conflictRepo.state();
      await client.POST('/api/v1/fixes/{id}/approve', { params: { path: { id: fix.id } } });
      const failed = await waitForFix(client, fix.id, ['failed', 'applied']);
      expect(failed).toMatchObject({
        status: 'failed',
        error: { code: 'patch_conflict', message: 'the text to replace does not occur in src/cart.js' },
        branch: null,
        commit: null,
      });
      expect(conflictRepo.state()).toEqual(before);
      expect(conflictRepo.git('branch', '--list', 'switchboard/*')).toBe('');
    } finally {
      await own.close();
      conflictRepo.cleanup();
    }
  });

  it('rejects a proposed fix with a reason; it can then be neither approved nor rejected', async () => {
    const issue = await reportCart(server, api, project, { fingerprint: ['reject me'] });
    const fix = await requestFix(api, issue.id, proposing(QUANTITY));
    await waitForFix(api, fix.id, ['proposed']);
    const res = await api.POST('/api/v1/fixes/{id}/reject', {
      params: { path: { id: fix.id } },
      body: { reason: 'the price already includes the quantity' },
    });
    expect(res.response.status).toBe(200);
    expect(res.data).toMatchObject({
      status: 'rejected',
      rejectReason: 'the price already includes the quantity',
      decidedBy: owner.userId,
    });
    const approve = await api.POST('/api/v1/fixes/{id}/approve', { params: { path: { id: fix.id } } });
    expect(failure(approve)).toEqual({
      status: 409,
      code: 'fix_not_proposed',
      message: `fix ${fix.id} is rejected; only a proposed fix can be decided`,
    });
    expect(repo.git('branch', '--list', `switchboard/fix-${issue.shortId}*`)).toBe('');
  });
});

describe('a deleted project', () => {
  it('takes its fixes with it, and their reviews leave the inbox', async () => {
    const doomed = await shopProject('Doomed');
    const issue = await reportCart(server, api, doomed, { fingerprint: ['doomed'] });
    const fix = await requestFix(api, issue.id, proposing(QUANTITY));
    await waitForFix(api, fix.id, ['proposed']);
    // The fix's review in the inbox, open.
    const reviewOf = async (status: 'open' | 'closed') => {
      const { data } = await api.GET('/api/v1/inbox', { params: { query: { status, limit: 100 } } });
      return data?.items.find((i) => (i.payload as { fixId?: string }).fixId === fix.id);
    };
    expect(await reviewOf('open')).toBeDefined();

    const removed = await api.DELETE('/api/v1/error-projects/{id}', { params: { path: { id: doomed.id } } });
    expect(removed.response.status).toBe(204);
    const gone = await api.GET('/api/v1/fixes/{id}', { params: { path: { id: fix.id } } });
    expect(failure(gone)).toMatchObject({ status: 404, message: `fix ${fix.id} was not found` });
    expect(await reviewOf('open')).toBeUndefined();
    expect(await reviewOf('closed')).toBeDefined();
    // Another project's fixes stay.
    const kept = await reportCart(server, api, project, { fingerprint: ['kept'] });
    const keptFix = await requestFix(api, kept.id, proposing(QUANTITY));
    await waitForFix(api, keptFix.id, ['proposed']);
    expect(
      (await api.GET('/api/v1/fixes/{id}', { params: { path: { id: keptFix.id } } })).response.status,
    ).toBe(200);
  });
});

describe('what the fixer may not do', () => {
  it('refuses paths that leave the repository (.., a symbolic link out); no edit, so no patch', async () => {
    const issue = await reportCart(server, api, project, { fingerprint: ['escape'] });
    const instructions = [
      '/tool repo.propose_patch {"path":"../outside.txt","find":"a","replace":"b"}',
      '/tool repo.read {"path":"src/escape"}',
      '/tool repo.read {"path":".git/config"}',
      'Nothing to do.',
    ].join('\n');
    const fix = await requestFix(api, issue.id, instructions);
    const failed = await waitForFix(api, fix.id, ['failed', 'proposed']);
    expect(failed).toMatchObject({ status: 'failed', edits: [], error: { code: 'no_patch_proposed' } });
    const results = (await runLog(fix.runId!)).filter((e) => e.type === 'tool.result').map((e) => e.data);
    expect(results).toEqual([
      expect.objectContaining({ isError: true, output: expect.stringContaining('holds a .. segment') }),
      expect.objectContaining({
        isError: true,
        output: expect.stringContaining('is a symbolic link pointing outside the repository'),
      }),
      expect.objectContaining({ isError: true, output: expect.stringContaining('reaches into .git') }),
    ]);
  });

  it('reads the branch with repo.list, repo.read and repo.search', async () => {
    const issue = await reportCart(server, api, project, { fingerprint: ['reads'] });
    const fix = await requestFix(
      api,
      issue.id,
      [
        '/tool repo.list {}',
        '/tool repo.read {"path":"src/cart.js","startLine":2,"endLine":2}',
        '/tool repo.search {"query":"i.price"}',
        'Read.',
      ].join('\n'),
    );
    await waitForFix(api, fix.id, ['failed']);
    const results = (await runLog(fix.runId!)).filter((e) => e.type === 'tool.result').map((e) => e.data);
    expect(results.map((r) => r.isError)).toEqual([false, false, false]);
    expect(results[1]!.output).toContain('return items.reduce');
    expect(results[2]!.output).toContain('src/cart.js');
  });

  it('refuses a project without a repository, or with one outside FIX_REPOSITORY_ROOTS', async () => {
    const bare = await makeProject(api, { name: 'No repo', repository: null });
    const issue = await reportCart(server, api, bare, { fingerprint: ['no repo'] });
    const none = await api.POST('/api/v1/issues/{id}/fixes', {
      params: { path: { id: issue.id } },
      body: {},
    });
    expect(failure(none)).toMatchObject({ status: 409, code: 'repository_not_configured' });

    const elsewhere = await makeProject(api, {
      name: 'Elsewhere',
      repository: { path: outside.dir, branch: 'main' },
    });
    const other = await reportCart(server, api, elsewhere, { fingerprint: ['elsewhere'] });
    const refused = await api.POST('/api/v1/issues/{id}/fixes', {
      params: { path: { id: other.id } },
      body: {},
    });
    expect(failure(refused)).toEqual({
      status: 403,
      code: 'repository_not_allowed',
      message: `repository ${outside.dir} is not under a folder the operator allows (FIX_REPOSITORY_ROOTS)`,
    });
    const fixes = await api.GET('/api/v1/issues/{id}/fixes', { params: { path: { id: other.id } } });
    expect(fixes.data!.items).toEqual([]);
  });

  it('lets a reader see fixes but not ask for or decide one', async () => {
    const viewer = await addMember(server, owner, 'viewer');
    const reader = clientAs(server, viewer.accessToken);
    const issue = await reportCart(server, api, project, { fingerprint: ['reader'] });
    const denied = await reader.POST('/api/v1/issues/{id}/fixes', {
      params: { path: { id: issue.id } },
      body: {},
    });
    expect(failure(denied)).toMatchObject({ status: 403, code: 'forbidden' });
    const list = await reader.GET('/api/v1/issues/{id}/fixes', { params: { path: { id: issue.id } } });
    expect(list.response.status).toBe(200);
  });

  it('answers 404 for an issue or a fix that does not exist', async () => {
    const missing = await api.POST('/api/v1/issues/{id}/fixes', {
      params: { path: { id: 'iss_missing' } },
      body: {},
    });
    expect(failure(missing)).toMatchObject({ status: 404, code: 'not_found' });
    const fix = await api.GET('/api/v1/fixes/{id}', { params: { path: { id: 'fix_missing' } } });
    expect(failure(fix)).toMatchObject({ status: 404, code: 'not_found' });
  });
});

describe('regression', () => {
  it('marks an applied fix as not holding, and reopens its issue, once its error comes back in a newer release', async () => {
    const group = { fingerprint: ['regress'] };
    const issue = await reportCart(server, api, project, { ...group, release: 'shop@2.0.0' });
    // An older deployment still runs beside the one the issue was reported in.
    await reportCart(server, api, project, { ...group, release: 'shop@1.9.0' });
    const fix = await requestFix(
      api,
      issue.id,
      proposing({ path: 'README.md', find: 'Shop', replace: 'Shop!' }),
    );
    await waitForFix(api, fix.id, ['proposed']);
    await api.POST('/api/v1/fixes/{id}/approve', { params: { path: { id: fix.id } } });
    const applied = await waitForFix(api, fix.id, ['verified', 'verification_failed']);
    expect(applied.holding).toBe(true);

    // Releases seen before the commit come back: the fix still holds. Then a newer one: it does not.
    // Each event is grouped (and checked) before the next is sent, so the release named is the newer one's.
    await reportCart(server, api, project, { ...group, release: 'shop@2.0.0' });
    await reportCart(server, api, project, { ...group, release: 'shop@1.9.0' });
    await reportCart(server, api, project, { ...group, release: 'shop@2.1.0' });
    await expect
      .poll(async () => (await api.GET('/api/v1/fixes/{id}', { params: { path: { id: fix.id } } })).data)
      .toMatchObject({ holding: false, regressedRelease: 'shop@2.1.0', status: applied.status });
    const reopened = await api.GET('/api/v1/issues/{id}', { params: { path: { id: issue.id } } });
    expect(reopened.data).toMatchObject({ status: 'regressed', count: 5 });
  });
});
