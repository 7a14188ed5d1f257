import { createTwoFilesPatch } from 'diff';
import { FixErrors } from './errors.ts';

/** One exact-text edit the fixer proposed: `find` occurs exactly once in the file and becomes `replace`. */
export interface Edit {
  path: string;
  find: string;
  replace: string;
}

/** How many times `find` occurs in `text` (overlapping occurrences counted: "aa" twice in "aaa"). */
export function occurrences(text: string, find: string): number {
  if (find === '') return 0;
  let count = 0;
  for (let at = text.indexOf(find); at !== -1; at = text.indexOf(find, at + 1)) count++;
  return count;
}

/**
 * `text` with one edit made; the edit's text must occur exactly once, else 409 `patch_conflict`
 * (it is missing, or the excerpt is not unique enough to say where).
 */
export function applyEdit(text: string, edit: Edit): string {
  const count = occurrences(text, edit.find);
  if (count !== 1) throw FixErrors.findNotUnique(edit.path, count);
  const at = text.indexOf(edit.find);
  return text.slice(0, at) + edit.replace + text.slice(at + edit.find.length);
}

/**
 * Makes every edit, in order, on the files' texts (`before`, by path): later edits of a file see the
 * earlier ones. Answers the new texts of the files edited.
 */
export function applyEdits(before: ReadonlyMap<string, string>, edits: readonly Edit[]): Map<string, string> {
  const after = new Map<string, string>();
  for (const edit of edits) {
    const text = after.get(edit.path) ?? before.get(edit.path);
    if (text === undefined) throw FixErrors.pathNotFound(edit.path);
    after.set(edit.path, applyEdit(text, edit));
  }
  return after;
}

/**
 * The unified diff of the edited files (`a/<path>` to `b/<path>`, three lines of context, in path
 * order), as `git apply` and people read it.
 */
export function unifiedDiff(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): string {
  return [...after.keys()]
    .sort()
    .map((file) => {
      const patch = createTwoFilesPatch(
        `a/${file}`,
        `b/${file}`,
        before.get(file) ?? '',
        after.get(file) ?? '',
      );
      // jsdiff opens with a "===" rule; git's own header goes there instead, so `git apply` takes it.
      return `diff --git a/${file} b/${file}\n${patch.replace(/^=+\n/, '')}`;
    })
    .join('');
}
