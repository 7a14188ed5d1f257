import { z } from 'zod';
import type { Config } from '../platform/config.ts';
import type { Db } from '../platform/db/index.ts';
import { asTool, defineTool, type ToolContext, ToolError, type ToolSource } from '../tools/registry.ts';
import { applyEdits, type Edit, unifiedDiff } from './patch.ts';
import { normaliseRepoPath } from './paths.ts';
import { listTree, openRepository, readText, type Snapshot, searchText } from './repository.ts';
import * as store from './store.ts';

/** Text handed back to a model at most; it asks for a range of lines for more. */
const MAX_TEXT_CHARS = 60_000;
/** Edits one fix may propose. */
const MAX_EDITS = 50;

/**
 * `repo.list`, `repo.read`, `repo.search` and `repo.propose_patch` for a fix run: each call works on
 * the repository of the fix its run works (named in the run's metadata), at the commit the fix was
 * requested on. They only read; `repo.propose_patch` records an edit on the fix and writes nothing to
 * the repository. Outside a fix run they refuse.
 */
export function repoToolSource(deps: { db: Db; settings: Config['fixes'] }): ToolSource {
  const { db, settings } = deps;

  async function fixOf(ctx: ToolContext) {
    const fixId = ctx.run?.metadata.fixId;
    if (typeof fixId !== 'string') throw new ToolError('the repo tools work only in a run that works a fix');
    const fix = await store.findFix(db, ctx.orgId, fixId);
    if (!fix) throw new ToolError(`fix ${fixId} no longer exists`);
    return fix;
  }

  async function snapshotOf(fix: store.FixRecord): Promise<Snapshot> {
    const repo = await openRepository(fix.repositoryPath, settings.repositoryRoots, settings.childEnv);
    return { repo, branch: fix.repositoryBranch, commit: fix.baseCommit };
  }

  const tools = [
    defineTool({
      name: 'repo.list',
      source: 'fixes',
      description:
        "List the files and folders of the fix's repository under a folder (the root by default); " +
        'recursive lists every file below it.',
      parameters: z.object({
        path: z.string().max(1024).default('').describe('A folder relative to the repository root, e.g. src'),
        recursive: z.boolean().default(false).describe('Every file below the folder, not only one level'),
      }),
      execute: ({ path, recursive }, ctx) =>
        asTool(async () => listTree(await snapshotOf(await fixOf(ctx)), path, recursive)),
    }),
    defineTool({
      name: 'repo.read',
      source: 'fixes',
      description:
        "Read a text file of the fix's repository, whole or lines startLine..endLine (numbered from 1). " +
        'Copy text from here exactly when proposing a patch.',
      parameters: z.object({
        path: z.string().max(1024).describe('A file relative to the repository root, e.g. src/app.ts'),
        startLine: z.number().int().min(1).optional().describe('First line to show'),
        endLine: z.number().int().min(1).optional().describe('Last line to show'),
      }),
      execute: ({ path, startLine, endLine }, ctx) =>
        asTool(async () => {
          const file = await readText(await snapshotOf(await fixOf(ctx)), path);
          const lines = file.text.split('\n');
          const total = file.text.endsWith('\n') ? lines.length - 1 : lines.length;
          const from = Math.min(startLine ?? 1, Math.max(total, 1));
          const to = Math.min(endLine ?? total, total);
          const text = lines.slice(from - 1, to).join('\n');
          return {
            path: file.path,
            totalLines: total,
            startLine: from,
            endLine: to,
            content: text.slice(0, MAX_TEXT_CHARS),
            truncated: text.length > MAX_TEXT_CHARS,
          };
        }),
    }),
    defineTool({
      name: 'repo.search',
      source: 'fixes',
      description:
        "Find lines holding a piece of text (exact text, not a pattern) in the fix's repository, " +
        'optionally under a folder.',
      parameters: z.object({
        query: z.string().min(1).max(500).describe('The text to find, on one line'),
        path: z.string().max(1024).optional().describe('Only under this folder'),
        ignoreCase: z.boolean().default(false),
      }),
      execute: ({ query, path, ignoreCase }, ctx) =>
        asTool(async () =>
          searchText(await snapshotOf(await fixOf(ctx)), query, { under: path, ignoreCase }),
        ),
    }),
    defineTool({
      name: 'repo.propose_patch',
      source: 'fixes',
      description:
        'Propose one edit for a person to review: in the file at path, the exact text find (which must ' +
        'occur exactly once, after your earlier edits) becomes replace. Nothing is written now; the ' +
        'fix is committed on its own branch only if a person approves it.',
      parameters: z.object({
        path: z.string().max(1024).describe('A file relative to the repository root'),
        find: z.string().min(1).max(100_000).describe('Text copied exactly from the file, occurring once'),
        replace: z.string().max(100_000).describe('What it becomes'),
      }),
      execute: ({ path: raw, find, replace }, ctx) =>
        asTool(async () => {
          const fix = await fixOf(ctx);
          if (fix.status !== 'queued' && fix.status !== 'analyzing')
            throw new ToolError(`fix ${fix.id} is ${fix.status}; no more edits can be proposed`);
          if (fix.edits.length >= MAX_EDITS) throw new ToolError(`a fix holds at most ${MAX_EDITS} edits`);
          const path = normaliseRepoPath(raw);
          const snap = await snapshotOf(fix);
          const edit: Edit = { path, find, replace };
          const edits = [...fix.edits, edit];
          const before = new Map<string, string>();
          for (const file of new Set(edits.map((e) => e.path))) {
            const read = await readText(snap, file);
            if (read.path !== file)
              throw new ToolError(
                `${file} is a symbolic link to ${read.path}; propose the edit on ${read.path}`,
              );
            before.set(file, read.text);
          }
          const after = applyEdits(before, edits);
          const diff = unifiedDiff(before, after);
          const files = [...after.keys()].sort();
          // Guarded by the number of edits it read: two proposals at once cannot lose one another.
          const saved = await store.updateFix(
            db,
            fix.orgId,
            fix.id,
            { edits, diff, files },
            { from: ['queued', 'analyzing'], editCount: fix.edits.length },
          );
          if (!saved) throw new ToolError('the fix changed while this edit was proposed; propose it again');
          const fileDiff = unifiedDiff(
            new Map([[path, before.get(path)!]]),
            new Map([[path, after.get(path)!]]),
          );
          return { recorded: true, edits: edits.length, files, diff: fileDiff.slice(0, MAX_TEXT_CHARS) };
        }),
    }),
  ];
  return { name: 'fixes', prefix: 'repo.', tools: async () => tools };
}
