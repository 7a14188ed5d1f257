import {
  defaultRangeExtractor,
  type Range,
  useVirtualizer,
  useWindowVirtualizer,
  type Virtualizer,
} from '@tanstack/react-virtual';
import { type ReactNode, type RefObject, useCallback, useLayoutEffect, useRef, useState } from 'react';

/** What a row's root element (a `tr` or `li`) takes, so it is measured and keeps the keyboard's place. */
export interface RowProps {
  'data-index': number;
  ref: (element: HTMLElement | null) => void;
  onFocus: () => void;
  onBlur: () => void;
}

/** Rows drawn beyond the visible ones on each side, so a quick scroll or Tab lands on rows already there. */
const OVERSCAN = 12;

/**
 * The row holding focus stays mounted however far the list scrolls, so a rename in progress or a focused
 * button is never taken away from the keyboard.
 */
function useFocusedRow() {
  const focused = useRef<number | undefined>(undefined);
  const rangeExtractor = useCallback((range: Range) => {
    const indexes = defaultRangeExtractor(range);
    const f = focused.current;
    if (f === undefined || f >= range.count || indexes.includes(f)) return indexes;
    return [...indexes, f].sort((a, b) => a - b);
  }, []);
  return { focused, rangeExtractor };
}

/** Where the list's element starts in the page, for a list scrolled with the window. */
function usePageOffset(list: RefObject<HTMLElement | null>): number {
  const [offset, setOffset] = useState(0);
  useLayoutEffect(() => {
    const top = (list.current?.getBoundingClientRect().top ?? 0) + window.scrollY;
    if (Math.abs(top - offset) > 0.5) setOffset(top);
  });
  return offset;
}

interface Drawn {
  /** The rows to draw, with their props. */
  rows: Array<{ index: number; props: RowProps }>;
  /** Space standing in for the rows above and below those drawn. */
  before: number;
  after: number;
}

function drawn(virtualizer: Virtualizer<never, Element>, focused: RefObject<number | undefined>): Drawn {
  const items = virtualizer.getVirtualItems();
  const margin = virtualizer.options.scrollMargin;
  const first = items[0];
  const last = items.at(-1);
  return {
    rows: items.map((item) => ({
      index: item.index,
      props: {
        'data-index': item.index,
        ref: virtualizer.measureElement,
        onFocus: () => {
          focused.current = item.index;
        },
        onBlur: () => {
          if (focused.current === item.index) focused.current = undefined;
        },
      },
    })),
    before: first ? first.start - margin : 0,
    after: last ? virtualizer.getTotalSize() - (last.end - margin) : 0,
  };
}

/** The rows of a long list scrolled with the page (runs, inbox, audit log): only those near the view. */
export function useWindowRows(
  count: number,
  estimateSize: number,
  list: RefObject<HTMLElement | null>,
  gap = 0,
): Drawn {
  const { focused, rangeExtractor } = useFocusedRow();
  const scrollMargin = usePageOffset(list);
  const virtualizer = useWindowVirtualizer({
    count,
    estimateSize: () => estimateSize,
    overscan: OVERSCAN,
    scrollMargin,
    rangeExtractor,
    gap,
  });
  return drawn(virtualizer as unknown as Virtualizer<never, Element>, focused);
}

/** The rows of a long list in a scrolling box of its own (the conversations beside the chat). */
export function useBoxRows(count: number, estimateSize: number, box: RefObject<HTMLElement | null>): Drawn {
  const { focused, rangeExtractor } = useFocusedRow();
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => box.current,
    estimateSize: () => estimateSize,
    overscan: OVERSCAN,
    rangeExtractor,
  });
  return drawn(virtualizer as unknown as Virtualizer<never, Element>, focused);
}

/**
 * A table body drawing only the rows near the view, with a spacer row above and below for the rest, so
 * the table keeps its columns and the page its height.
 */
export function VirtualTableBody<T>({
  items,
  columns,
  estimateSize = 52,
  children,
}: {
  items: readonly T[];
  /** How many columns a spacer row spans. */
  columns: number;
  estimateSize?: number;
  children: (item: T, props: RowProps) => ReactNode;
}) {
  const body = useRef<HTMLTableSectionElement>(null);
  const { rows, before, after } = useWindowRows(items.length, estimateSize, body);
  const spacer = (height: number) =>
    height > 0 ? (
      <tr className="virtual-spacer">
        <td colSpan={columns} style={{ height, padding: 0, border: 0 }} />
      </tr>
    ) : null;
  return (
    <tbody ref={body}>
      {spacer(before)}
      {drawnItems({ rows, before, after }, items).map((row) => children(row.item, row.props))}
      {spacer(after)}
    </tbody>
  );
}

/** The drawn rows with their items, for a list that renders its own rows. */
export function drawnItems<T>(drawn: Drawn, items: readonly T[]): Array<{ item: T; props: RowProps }> {
  return drawn.rows.map((row) => ({ item: items[row.index]!, props: row.props }));
}

/**
 * The padding that stands in for the rows not drawn, for a list (`ul`, `ol`) of virtual rows, on top of
 * the list's own (`base`).
 */
export const listPadding = ({ before, after }: Pick<Drawn, 'before' | 'after'>, base = 0) => ({
  paddingTop: base + before,
  paddingBottom: base + after,
});
