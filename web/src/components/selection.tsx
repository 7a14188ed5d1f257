import { type ReactNode, useEffect, useRef, useState } from 'react';

/**
 * Which rows of a list are ticked, kept as ids so a refetch keeps the ticks; the last one clicked
 * anchors a Shift-click range. The inbox and the issue list tick their rows through it.
 */
export function useSelection<T extends { id: string }>(items: T[]) {
  const [ids, setIds] = useState<ReadonlySet<string>>(new Set());
  const anchor = useRef<string | undefined>(undefined);
  const selected = items.filter((i) => ids.has(i.id));
  function toggle(id: string, checked: boolean, range = false) {
    const from = items.findIndex((i) => i.id === anchor.current);
    const to = items.findIndex((i) => i.id === id);
    if (to < 0) return;
    const span = range && from >= 0 ? items.slice(Math.min(from, to), Math.max(from, to) + 1) : [items[to]!];
    setIds((current) => {
      const next = new Set(current);
      for (const i of span) {
        if (checked) next.add(i.id);
        else next.delete(i.id);
      }
      return next;
    });
    anchor.current = id;
  }
  return {
    selected,
    ids,
    toggle,
    setAll: (checked: boolean) => {
      setIds(new Set(checked ? items.map((i) => i.id) : []));
      anchor.current = undefined;
    },
    keepOnly: (kept: string[]) => setIds(new Set(kept)),
  };
}

/** The bulk bar's "all" box: ticked when every row is, mixed (indeterminate) when some are. */
export function SelectAll({
  total,
  selected,
  setAll,
  testId,
  children,
}: {
  total: number;
  selected: number;
  setAll: (checked: boolean) => void;
  testId?: string;
  children: ReactNode;
}) {
  const box = useRef<HTMLInputElement>(null);
  const some = selected > 0 && selected < total;
  useEffect(() => {
    if (box.current) box.current.indeterminate = some;
  }, [some]);
  return (
    <label className="bulk-all">
      <input
        ref={box}
        type="checkbox"
        checked={selected > 0 && selected === total}
        onChange={(e) => setAll(e.target.checked)}
        data-testid={testId}
      />
      {children}
    </label>
  );
}
