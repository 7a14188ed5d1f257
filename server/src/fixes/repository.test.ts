import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, type GitRepo, makeGitRepo } from '../../test/kit/git-repo.ts';
import { AppError } from '../platform/errors.ts';
import { commitEdits, programAllowed, verifyCommit } from './apply.ts';
import { listTree, openRepository, readText, searchText, snapshot } from './repository.ts';

const APP = 'export function total(items) {\n  return items.reduce((sum, i) => sum + i.price, 0);\n}\n';

async function refusal(work: Promise<unknown>) {
  try {
    await work;
  } catch (err) {
    if (err instanceof AppError) return { status: err.status, code: err.code, message: err.message };
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('repository access on a real git repository', () => {
  let repo: GitRepo;
  let outside: string;
  const env = childEnv();

  beforeAll(() => {
    repo = makeGitRepo({
      'src/cart.js': APP,
      'src/util/format.js': 'export const money = (n) => n.toFixed(2);\n',
      'src/link-inside.js': '->cart.js',
      'src/link-outside': '->../../../../etc/passwd',
      'README.md': '# Shop\n',
    });
    outside = realpathSync(mkdtempSync(path.join(tmpdir(), 'sb-fix-outside-')));
  });
  afterAll(() => {
    repo.cleanup();
    rmSync(outside, { recursive: true, force: true });
  });

  const open = () => openRepository(repo.dir, [repo.root], env);

  it('opens a repository under an allowed root, and refuses one outside every root or with no roots', async () => {
    expect((await open()).dir).toBe(repo.dir);
    expect(await refusal(openRepository(repo.dir, [outside], env))).toMatchObject({
      status: 403,
      code: 'repository_not_allowed',
    });
    expect(await refusal(openRepository(repo.dir, [], env))).toMatchObject({
      status: 403,
      code: 'repository_not_allowed',
      message: `repository ${repo.dir} cannot be used: the operator allows no repository folders (FIX_REPOSITORY_ROOTS is empty)`,
    });
    // A root whose name is a prefix of another folder's does not cover it.
    expect(await refusal(openRepository(repo.dir, [repo.root.slice(0, -2)], env))).toMatchObject({
      code: 'repository_not_allowed',
    });
    // A link placed under a root that leads elsewhere is judged by where it leads.
    const linkRoot = realpathSync(mkdtempSync(path.join(tmpdir(), 'sb-fix-linkroot-')));
    symlinkSync(repo.dir, path.join(linkRoot, 'sneaky'));
    expect(await refusal(openRepository(path.join(linkRoot, 'sneaky'), [linkRoot], env))).toMatchObject({
      code: 'repository_not_allowed',
    });
    rmSync(linkRoot, { recursive: true, force: true });
    mkdirSync(path.join(repo.root, 'plain'));
    expect(await refusal(openRepository(path.join(repo.root, 'plain'), [repo.root], env))).toMatchObject({
      status: 409,
      code: 'repository_not_found',
    });
    expect(await refusal(openRepository('relative/app', [repo.root], env))).toMatchObject({
      code: 'repository_not_found',
    });
  });

  it('reads, lists and searches the branch, not the working tree', async () => {
    const snap = await snapshot(await open(), 'main');
    // An uncommitted change in the working tree is not what the fixer sees.
    repo.git('status');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(repo.dir, 'src/cart.js'), 'uncommitted\n');
    try {
      expect((await readText(snap, 'src/cart.js')).text).toBe(APP);
      expect((await readText(snap, 'src/link-inside.js')).text).toBe(APP);
      expect((await readText(snap, 'src/link-inside.js')).path).toBe('src/cart.js');
      expect(await listTree(snap, undefined)).toEqual({
        path: '',
        entries: [
          { path: 'README.md', type: 'file', size: 7 },
          { path: 'src', type: 'folder' },
        ],
        truncated: false,
      });
      expect((await listTree(snap, 'src', true)).entries.map((e) => e.path)).toEqual([
        'src/cart.js',
        'src/link-inside.js',
        'src/link-outside',
        'src/util/format.js',
      ]);
      expect(await searchText(snap, 'i.price')).toEqual({
        matches: [
          { path: 'src/cart.js', line: 2, text: '  return items.reduce((sum, i) => sum + i.price, 0);' },
        ],
        truncated: false,
      });
      // Fixed text, not a pattern.
      expect((await searchText(snap, '.*')).matches).toEqual([]);
      expect((await searchText(snap, 'TOFIXED', { ignoreCase: true })).matches).toHaveLength(1);
    } finally {
      repo.git('checkout', '--', 'src/cart.js');
    }
  });

  it('refuses paths that leave the repository: .., absolute, .git and symbolic links pointing out', async () => {
    const snap = await snapshot(await open(), 'main');
    expect(await refusal(readText(snap, '../outside.txt'))).toMatchObject({
      status: 400,
      code: 'invalid_path',
    });
    expect(await refusal(readText(snap, '/etc/passwd'))).toMatchObject({ status: 400, code: 'invalid_path' });
    expect(await refusal(readText(snap, '.git/config'))).toMatchObject({ status: 400, code: 'invalid_path' });
    expect(await refusal(readText(snap, 'src/link-outside'))).toEqual({
      status: 400,
      code: 'invalid_path',
      message:
        'invalid repository path "src/link-outside": is a symbolic link pointing outside the repository',
    });
    expect(await refusal(readText(snap, 'src'))).toMatchObject({ status: 409, code: 'not_a_file' });
    expect(await refusal(readText(snap, 'src/missing.js'))).toMatchObject({ status: 404, code: 'not_found' });
    expect(await refusal(snapshot(await open(), 'no-such-branch'))).toMatchObject({
      status: 409,
      code: 'branch_not_found',
    });
    expect(await refusal(snapshot(await open(), '--output=/tmp/x'))).toMatchObject({
      code: 'branch_not_found',
    });
  });

  it('commits edits on a new branch without moving HEAD, the index or the working tree', async () => {
    const git = await open();
    const before = repo.state();
    const made = await commitEdits(git, {
      baseBranch: 'main',
      branch: 'switchboard/fix-unit1',
      edits: [{ path: 'src/cart.js', find: 'sum + i.price', replace: 'sum + i.price * i.quantity' }],
      message: 'Fix the cart total',
      marker: 'Switchboard-Fix: fix_unit1',
      author: { name: 'Switchboard', email: 'fixes@switchboard.invalid' },
    });
    expect(repo.state()).toEqual(before);
    expect(made.base).toBe(before.head);
    expect(repo.git('rev-parse', 'switchboard/fix-unit1').trim()).toBe(made.commit);
    expect(repo.git('rev-parse', `${made.commit}^`).trim()).toBe(before.head);
    expect(repo.git('diff', '--name-only', before.head, made.commit)).toBe('src/cart.js\n');
    expect(repo.git('show', `${made.commit}:src/cart.js`)).toBe(
      APP.replace('i.price', 'i.price * i.quantity'),
    );
    expect(repo.git('log', '-1', '--format=%an <%ae>%n%B', made.commit)).toBe(
      'Switchboard <fixes@switchboard.invalid>\nFix the cart total\n\nSwitchboard-Fix: fix_unit1\n\n',
    );
    // A retry of the same fix answers the same commit; another fix of the issue takes the next name.
    const again = await commitEdits(git, {
      baseBranch: 'main',
      branch: 'switchboard/fix-unit1',
      edits: [],
      message: 'x',
      marker: 'Switchboard-Fix: fix_unit1',
      author: { name: 'S', email: 's@s' },
    });
    expect(again).toMatchObject({ branch: made.branch, commit: made.commit, base: made.base });
    const other = {
      baseBranch: 'main',
      branch: 'switchboard/fix-unit1',
      edits: [{ path: 'README.md', find: '# Shop', replace: '# Shop!' }],
      message: 'Another fix',
      marker: 'Switchboard-Fix: fix_other',
      author: { name: 'S', email: 's@s' },
    };
    const second = await commitEdits(git, other);
    expect(second.branch).toBe('switchboard/fix-unit1-2');
    expect(repo.git('rev-parse', 'switchboard/fix-unit1-2').trim()).toBe(second.commit);
    expect(await commitEdits(git, other)).toEqual(second);
    expect(repo.git('rev-parse', 'switchboard/fix-unit1').trim()).toBe(made.commit);
    expect(repo.state()).toEqual(before);
  });

  it('fails with patch_conflict when the text changed on the branch meanwhile, making nothing', async () => {
    const git = await open();
    const edit = { path: 'README.md', find: '# Shop', replace: '# The shop' };
    repo.commit({ 'README.md': '# Our shop\n' }, 'retitle');
    const before = repo.state();
    expect(
      await refusal(
        commitEdits(git, {
          baseBranch: 'main',
          branch: 'switchboard/fix-unit2',
          edits: [edit],
          message: 'Retitle',
          marker: 'Switchboard-Fix: fix_unit2',
          author: { name: 'S', email: 's@s' },
        }),
      ),
    ).toMatchObject({ status: 409, code: 'patch_conflict' });
    expect(repo.state()).toEqual(before);
    expect(repo.git('branch', '--list', 'switchboard/fix-unit2')).toBe('');
  });

  it('verifies a commit in a temporary worktree and removes it after, passing or failing', async () => {
    const git = await open();
    const head = repo.state().head;
    const before = repo.state();
    const node = process.execPath;
    const pass = await verifyCommit(
      git,
      head,
      [node, '-e', "const fs=require('fs');console.log(fs.readFileSync('src/cart.js','utf8').length)"],
      { timeoutMs: 30_000, env },
    );
    expect(pass).toEqual({
      command: [node, '-e', expect.any(String)],
      exitCode: 0,
      timedOut: false,
      outputTail: `${APP.length}\n`,
    });
    const fail = await verifyCommit(
      git,
      head,
      [node, '-e', "console.error('boom'.repeat(4000));process.exit(3)"],
      {
        timeoutMs: 30_000,
        env,
      },
    );
    expect(fail.exitCode).toBe(3);
    expect(Buffer.byteLength(fail.outputTail)).toBe(8 * 1024);
    expect(fail.outputTail.endsWith('boom\n')).toBe(true);
    const slow = await verifyCommit(git, head, [node, '-e', 'setInterval(() => {}, 1000)'], {
      timeoutMs: 300,
      env,
    });
    expect(slow).toMatchObject({ exitCode: null, timedOut: true });
    expect(slow.outputTail).toContain('[stopped after 0 s]');
    const missing = await verifyCommit(git, head, ['no-such-program-xyz'], { timeoutMs: 30_000, env });
    expect(missing.exitCode).toBeNull();
    expect(missing.outputTail).toContain('no-such-program-xyz could not start');
    expect(repo.state()).toEqual(before);
  });

  it('lets a verify command start only a listed program', () => {
    expect(programAllowed('npm', ['npm', 'node'])).toBe(true);
    expect(programAllowed('bash', ['npm', 'node'])).toBe(false);
    expect(programAllowed('bash', ['*'])).toBe(true);
    expect(programAllowed('npm', [])).toBe(false);
  });
});
