import { parsePatch, type StructuredPatchHunk, structuredPatch } from 'diff';

/**
 * Line diffs for the console, computed and parsed by jsdiff: two texts (an agent's instructions now and
 * then) or a unified patch (a proposed fix), as rows to show unified or side by side.
 */

/** A line in both texts, only in the new one (added) or only in the old one (removed), with its numbers. */
export interface DiffLine {
  kind: 'same' | 'added' | 'removed';
  text: string;
  /** Its number in the old text (none for an added line; none where the rows were not made from texts). */
  oldNumber?: number;
  newNumber?: number;
}

/** Unchanged lines folded away between the changes. */
export interface Skipped {
  kind: 'skipped';
  count: number;
}

export type DiffRow = DiffLine | Skipped;

/** One file of a unified patch: its names and its rows. */
export interface PatchFile {
  oldName: string | undefined;
  newName: string | undefined;
  rows: DiffRow[];
}

/** Unchanged lines kept around each change. */
const CONTEXT = 2;
/**
 * Past this many edits jsdiff gives up (its cost grows with their number times the texts' length); the
 * texts are then shown as all of one removed, then all of the other added.
 */
const MAX_EDITS = 1000;

const splitLines = (text: string) => (text === '' ? [] : text.replace(/\r?\n$/, '').split(/\r?\n/));
/** jsdiff marks a last line without a line end; a console diff does not care, so every text gets one. */
const ended = (text: string) => (text === '' || text.endsWith('\n') ? text : `${text}\n`);

/** A hunk's lines as rows, numbered from its starts. */
function hunkRows(hunk: StructuredPatchHunk): DiffLine[] {
  let oldNumber = hunk.oldStart;
  let newNumber = hunk.newStart;
  const rows: DiffLine[] = [];
  for (const line of hunk.lines) {
    const text = line.slice(1);
    if (line.startsWith('+')) rows.push({ kind: 'added', text, newNumber: newNumber++ });
    else if (line.startsWith('-')) rows.push({ kind: 'removed', text, oldNumber: oldNumber++ });
    else if (line.startsWith(' '))
      rows.push({ kind: 'same', text, oldNumber: oldNumber++, newNumber: newNumber++ });
    // "\ No newline at end of file" says nothing a reader needs here.
  }
  return rows;
}

/** Hunks as rows, with the unchanged stretches between them (and before and after, when known) folded. */
function rowsOf(hunks: readonly StructuredPatchHunk[], oldLines?: number): DiffRow[] {
  const rows: DiffRow[] = [];
  let next = 1; // the first old line not shown yet
  const skip = (count: number) => {
    if (count > 0) rows.push({ kind: 'skipped', count });
  };
  for (const hunk of hunks) {
    // A hunk that only adds at the top starts at old line 0.
    skip(Math.max(hunk.oldStart, 1) - next);
    rows.push(...hunkRows(hunk));
    next = Math.max(hunk.oldStart, 1) + hunk.oldLines;
  }
  if (oldLines !== undefined) skip(oldLines + 1 - next);
  return rows;
}

/**
 * `before` and `after` line by line, `context` unchanged lines kept around each change and longer
 * unchanged stretches folded; no rows when they are the same. A change reads as its removed lines, then
 * its added ones. Windows and Unix line ends match.
 */
export function diffTexts(before: string, after: string, context = CONTEXT): DiffRow[] {
  const patch = structuredPatch('before', 'after', ended(before), ended(after), undefined, undefined, {
    context,
    stripTrailingCr: true,
    maxEditLength: MAX_EDITS,
  });
  if (!patch) {
    return [
      ...splitLines(before).map((text, i): DiffLine => ({ kind: 'removed', text, oldNumber: i + 1 })),
      ...splitLines(after).map((text, i): DiffLine => ({ kind: 'added', text, newNumber: i + 1 })),
    ];
  }
  return patch.hunks.length === 0 ? [] : rowsOf(patch.hunks, splitLines(before).length);
}

/** {@link diffTexts} of lists whose order matters, an item a line (e.g. guardrails, one rule each). */
export function diffSequences(
  before: readonly string[],
  after: readonly string[],
  context = CONTEXT,
): DiffRow[] {
  return diffTexts(before.join('\n'), after.join('\n'), context);
}

/** The files of a unified patch (`diff -u`, `git diff`), each as rows; what lies between hunks is folded. */
export function parseUnified(patch: string): PatchFile[] {
  return parsePatch(patch).map((file) => ({
    oldName: file.oldFileName,
    newName: file.newFileName,
    rows: rowsOf(file.hunks),
  }));
}

/** What a list gained and lost between two versions, each in the order it appears. */
export function diffLists(before: readonly string[], after: readonly string[]) {
  const old = new Set(before);
  const next = new Set(after);
  return {
    added: after.filter((v) => !old.has(v)),
    removed: before.filter((v) => !next.has(v)),
  };
}

/** The keys whose values differ between two flat records (a key absent on one side is `undefined`). */
export function changedKeys(
  before: Readonly<Record<string, unknown>>,
  after: Readonly<Record<string, unknown>>,
): Array<{ key: string; before: unknown; after: unknown }> {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys
    .filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]))
    .map((key) => ({ key, before: before[key], after: after[key] }));
}
