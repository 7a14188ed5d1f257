import { type ReactNode, useId } from 'react';
import { Empty } from './states.tsx';

/**
 * Small inline-SVG charts. Colours come from CSS classes (`tone-*`) that read the theme's variables, so
 * light and dark themes both draw them well; each chart is an image with a title and a description that
 * reads out its values, and every bar or sample has a hover tooltip (`<title>`).
 */

export type Tone = 'accent' | 'accent-soft' | 'ok' | 'bad' | 'wait' | 'info' | 'neutral';

export const FONT = 11;
const TICK_COUNT = 4;

/** Axis ticks from 0 to a round number at or above `max`, steps of 1, 2 or 5 × 10ⁿ. */
export function niceTicks(max: number, integer = false): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / TICK_COUNT;
  const power = 10 ** Math.floor(Math.log10(raw));
  const nice = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  const step = integer ? Math.max(1, Math.ceil(nice)) : nice;
  const top = Math.ceil(max / step) * step;
  return Array.from({ length: Math.round(top / step) + 1 }, (_, i) => Number((i * step).toPrecision(12)));
}

export const plain = (value: number) => value.toLocaleString();

/** The frame every chart shares: a caption, the chart (or its empty state) and a legend for several series. */
export function ChartFrame({
  title,
  legend = [],
  children,
  testId,
}: {
  title: string;
  legend?: Array<{ name: string; tone: Tone }>;
  children: ReactNode;
  testId?: string | undefined;
}) {
  return (
    <figure className="card chart" data-testid={testId}>
      <figcaption className="chart-title">{title}</figcaption>
      {children}
      {legend.length > 1 ? (
        <ul className="chart-legend">
          {legend.map((s) => (
            <li key={s.name}>
              <span className={`legend-swatch tone-${s.tone}`} aria-hidden="true" />
              {s.name}
            </li>
          ))}
        </ul>
      ) : null}
    </figure>
  );
}

export interface BarSeries {
  name: string;
  tone: Tone;
}

export interface BarDatum {
  label: string;
  /** One value per series; null where there is none (drawn as nothing, read out as "none"). */
  values: Array<number | null>;
  /** Colours this category's bar when the chart has a single series (e.g. runs by status). */
  tone?: Tone;
}

/**
 * A horizontal bar chart: one row per category (labels stay readable however long), one bar per series
 * in each row, a value axis along the bottom.
 */
export function BarChart({
  title,
  series,
  data,
  format = plain,
  axisLabel,
  integer = false,
  emptyTitle,
  emptyText,
  testId,
}: {
  title: string;
  series: BarSeries[];
  data: BarDatum[];
  format?: (value: number) => string;
  axisLabel: string;
  integer?: boolean;
  emptyTitle: string;
  emptyText?: string;
  testId?: string;
}) {
  const ids = useId();
  const hasValues = data.some((d) => d.values.some((v) => v !== null));
  if (!hasValues) {
    return (
      <ChartFrame title={title} testId={testId}>
        <Empty title={emptyTitle}>{emptyText}</Empty>
      </ChartFrame>
    );
  }
  const ticks = niceTicks(Math.max(...data.flatMap((d) => d.values.map((v) => v ?? 0))), integer);
  const barHeight = series.length > 1 ? 12 : 18;
  const rowHeight = series.length * barHeight + 14;
  const m = { left: 128, right: 56, top: 6, bottom: 36 };
  const width = 400;
  const plotWidth = width - m.left - m.right;
  const height = m.top + data.length * rowHeight + m.bottom;
  const x = (v: number) => m.left + (v / ticks.at(-1)!) * plotWidth;
  const read = (v: number | null) => (v === null ? 'none' : format(v));
  const description = data
    .map((d) => `${d.label}: ${d.values.map((v, i) => `${series[i]?.name} ${read(v)}`).join(', ')}`)
    .join('; ');
  return (
    <ChartFrame title={title} legend={series} testId={testId}>
      <svg
        className="chart-svg"
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-labelledby={`${ids}-t ${ids}-d`}
      >
        <title id={`${ids}-t`}>{title}</title>
        <desc id={`${ids}-d`}>{description}</desc>
        {ticks.map((t) => (
          <g key={t}>
            <line className="chart-gridline" x1={x(t)} x2={x(t)} y1={m.top} y2={height - m.bottom} />
            <text className="chart-tick" x={x(t)} y={height - m.bottom + FONT + 4} textAnchor="middle">
              {format(t)}
            </text>
          </g>
        ))}
        <text className="chart-axis-label" x={m.left + plotWidth / 2} y={height - 4} textAnchor="middle">
          {axisLabel}
        </text>
        {data.map((d, row) => (
          <BarRow
            key={d.label}
            datum={d}
            series={series}
            top={m.top + row * rowHeight + 7}
            barHeight={barHeight}
            x={x}
            read={read}
          />
        ))}
        <line className="chart-axis" x1={m.left} x2={m.left} y1={m.top} y2={height - m.bottom} />
      </svg>
    </ChartFrame>
  );
}

/** One category: its label left of the axis, then a bar and its value per series. */
function BarRow({
  datum,
  series,
  top,
  barHeight,
  x,
  read,
}: {
  datum: BarDatum;
  series: BarSeries[];
  top: number;
  barHeight: number;
  x: (value: number) => number;
  read: (value: number | null) => string;
}) {
  const zero = x(0);
  return (
    <g>
      <text
        className="chart-label"
        x={zero - 8}
        y={top + (series.length * barHeight) / 2 + 3}
        textAnchor="end"
      >
        {datum.label}
      </text>
      {datum.values.map((v, i) => {
        const s = series[i]!;
        const y = top + i * barHeight;
        const tone = series.length === 1 && datum.tone ? datum.tone : s.tone;
        return (
          <g key={s.name}>
            {/* A value above zero stays visible as a sliver even beside a much larger one. */}
            <rect
              className={`chart-bar tone-${tone}`}
              x={zero}
              y={y}
              width={Math.max(v ? 2 : 0, x(v ?? 0) - zero)}
              height={barHeight - 2}
              rx={2}
            >
              <title>{`${datum.label}, ${s.name}: ${read(v)}`}</title>
            </rect>
            <text className="chart-value" x={x(v ?? 0) + 4} y={y + barHeight / 2 + 3}>
              {v === null ? '–' : read(v)}
            </text>
          </g>
        );
      })}
    </g>
  );
}
