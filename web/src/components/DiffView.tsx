import { type DiffLine, type DiffRow, diffTexts, parseUnified } from './diff.ts';

/** What a diff shows: two texts, a unified patch, or rows made elsewhere (a field's change, say). */
export type DiffSource = { before: string; after: string } | { patch: string } | { rows: DiffRow[] };

const MARK = { added: '+', removed: '−', same: ' ' } as const;

function Folded({ count }: { count: number }) {
  return (
    <>
      ⋯ {count} unchanged {count === 1 ? 'line' : 'lines'}
    </>
  );
}

/** A line as read in a list: its mark, what screen readers hear of it, its text. */
function LineText({ line }: { line: DiffLine }) {
  return (
    <>
      <span className="diff-mark" aria-hidden="true">
        {MARK[line.kind]}
      </span>
      {line.kind === 'same' ? null : <span className="sr-only">{line.kind}: </span>}
      {line.text || ' '}
    </>
  );
}

/** Rows one under the other: − only in the old text, + only in the new one, folded stretches as a count. */
function Unified({ rows, label }: { rows: DiffRow[]; label: string }) {
  return (
    <ol className="diff" aria-label={label}>
      {rows.map((row, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a diff's rows have no identity but their place
        <li key={i} className={`diff-line diff-${row.kind}`}>
          {row.kind === 'skipped' ? <Folded count={row.count} /> : <LineText line={row} />}
        </li>
      ))}
    </ol>
  );
}

type Pair = { kind: 'skipped'; count: number } | { kind: 'pair'; old?: DiffLine; new?: DiffLine };

/** Rows side by side: a change's removed lines beside its added ones, kept lines on both sides. */
export function pairRows(rows: readonly DiffRow[]): Pair[] {
  const pairs: Pair[] = [];
  let removed: DiffLine[] = [];
  let added: DiffLine[] = [];
  const flush = () => {
    for (let i = 0; i < Math.max(removed.length, added.length); i++) {
      pairs.push({
        kind: 'pair',
        ...(removed[i] ? { old: removed[i] } : {}),
        ...(added[i] ? { new: added[i] } : {}),
      });
    }
    removed = [];
    added = [];
  };
  for (const row of rows) {
    if (row.kind === 'removed') removed.push(row);
    else if (row.kind === 'added') added.push(row);
    else {
      flush();
      pairs.push(row.kind === 'skipped' ? row : { kind: 'pair', old: row, new: row });
    }
  }
  flush();
  return pairs;
}

function Side({ line, side }: { line: DiffLine | undefined; side: 'old' | 'new' }) {
  if (!line) return <td className="diff-cell diff-empty" colSpan={2} />;
  const number = side === 'old' ? line.oldNumber : line.newNumber;
  return (
    <>
      <td className="diff-number">{number ?? ''}</td>
      <td className={`diff-cell diff-${line.kind}`}>
        <LineText line={line} />
      </td>
    </>
  );
}

function Split({ rows, label }: { rows: DiffRow[]; label: string }) {
  return (
    <table className="diff diff-split" aria-label={label}>
      <tbody>
        {pairRows(rows).map((pair, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: a diff's rows have no identity but their place
          <tr key={i}>
            {pair.kind === 'skipped' ? (
              <td className="diff-cell diff-skipped" colSpan={4}>
                <Folded count={pair.count} />
              </td>
            ) : (
              <>
                <Side line={pair.old} side="old" />
                <Side line={pair.new} side="new" />
              </>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * A diff, unified (one column) or split (old and new side by side), from two texts, a unified patch (each
 * of its files under its name) or rows made elsewhere. `label` names it for screen readers.
 */
export function DiffView({
  source,
  view = 'unified',
  label,
}: {
  source: DiffSource;
  view?: 'unified' | 'split';
  label: string;
}) {
  const Body = view === 'split' ? Split : Unified;
  if ('patch' in source) {
    return (
      <div className="diff-files">
        {parseUnified(source.patch).map((file, i) => {
          const name =
            file.newName?.replace(/^b\//, '') ?? file.oldName?.replace(/^a\//, '') ?? `file ${i + 1}`;
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: a patch may name a file twice
            <section key={i} className="diff-file">
              <h4 className="diff-file-name mono">{name}</h4>
              <Body rows={file.rows} label={`${label}: ${name}`} />
            </section>
          );
        })}
      </div>
    );
  }
  const rows = 'rows' in source ? source.rows : diffTexts(source.before, source.after);
  return <Body rows={rows} label={label} />;
}
