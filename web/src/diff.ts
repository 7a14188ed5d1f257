/** One line of a line diff: in both texts, only in the new one (added) or only in the old one (removed). */
export interface DiffLine {
  kind: 'same' | 'added' | 'removed';
  text: string;
}

/** Unchanged lines folded away by {@link withContext}. */
export interface Skipped {
  kind: 'skipped';
  count: number;
}

/**
 * Past this many cells (changed old lines × changed new lines) the common-subsequence table would cost
 * too much memory in a browser tab; the changed middle is then shown as removed, then added.
 */
const MAX_CELLS = 4_000_000;

function splitLines(text: string): string[] {
  return text === '' ? [] : text.split(/\r?\n/);
}

const lines = (kind: DiffLine['kind'], texts: readonly string[]): DiffLine[] =>
  texts.map((text) => ({ kind, text }));

/**
 * The lines of `before` and `after` as kept, removed and added, in reading order (a change reads as its
 * removed lines, then its added ones). Common leading and trailing lines are matched first, so the usual
 * edit of a long text costs only its changed middle.
 */
export function diffLines(before: string, after: string): DiffLine[] {
  return diffSequences(splitLines(before), splitLines(after));
}

/** {@link diffLines} of texts already split into lines (or of any list whose order matters). */
export function diffSequences(a: readonly string[], b: readonly string[]): DiffLine[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  return [
    ...lines('same', a.slice(0, start)),
    ...diffMiddle(a.slice(start, endA), b.slice(start, endB)),
    ...lines('same', a.slice(endA)),
  ];
}

/** A longest-common-subsequence diff of two line lists with nothing in common at either end. */
function diffMiddle(a: readonly string[], b: readonly string[]): DiffLine[] {
  if (a.length === 0 || b.length === 0 || a.length * b.length > MAX_CELLS) {
    return [...lines('removed', a), ...lines('added', b)];
  }
  const width = b.length + 1;
  // common[i * width + j]: the length of the longest common subsequence of a[i..] and b[j..].
  const common = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      common[i * width + j] =
        a[i] === b[j]
          ? common[(i + 1) * width + j + 1]! + 1
          : Math.max(common[(i + 1) * width + j]!, common[i * width + j + 1]!);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ kind: 'same', text: a[i]! });
      i++;
      j++;
    } else if (common[(i + 1) * width + j]! >= common[i * width + j + 1]!) {
      out.push({ kind: 'removed', text: a[i++]! });
    } else {
      out.push({ kind: 'added', text: b[j++]! });
    }
  }
  return [...out, ...lines('removed', a.slice(i)), ...lines('added', b.slice(j))];
}

/** Keeps `context` unchanged lines around each change and folds longer unchanged stretches away. */
export function withContext(diff: DiffLine[], context = 2): Array<DiffLine | Skipped> {
  const near = diff.map(() => false);
  diff.forEach((line, index) => {
    if (line.kind === 'same') return;
    for (let k = Math.max(0, index - context); k <= Math.min(diff.length - 1, index + context); k++) {
      near[k] = true;
    }
  });
  const out: Array<DiffLine | Skipped> = [];
  diff.forEach((line, index) => {
    if (near[index]) {
      out.push(line);
      return;
    }
    const last = out.at(-1);
    if (last?.kind === 'skipped') last.count++;
    else out.push({ kind: 'skipped', count: 1 });
  });
  return out;
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
