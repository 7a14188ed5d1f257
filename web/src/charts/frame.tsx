import type { TickRendererProps } from '@visx/axis';
import { scaleLinear } from '@visx/scale';
import { type ReactNode, useId } from 'react';
import { Empty } from '../components/states.tsx';

/**
 * What every chart shares. Charts are SVG drawn with visx; colours come from CSS classes (`tone-*`) that
 * read the theme's variables, so light and dark themes both draw them well without a redraw. Each chart
 * is an image with a title and a description that reads out its values.
 */

export type Tone = 'accent' | 'accent-soft' | 'ok' | 'bad' | 'wait' | 'info' | 'neutral';

/** A series of values: its name in the legend and tooltips, and its colour. */
export interface Series {
  name: string;
  tone: Tone;
}

/** About this many ticks on a value axis (d3 picks round steps near it); more crowd a 400 px chart. */
const TICK_COUNT = 3;

export const plain = (value: number) => value.toLocaleString();

/**
 * An axis's tick label as plain SVG text (visx's default wraps each label in an SVG of its own, which
 * would read as one more image), small, muted and centred on its baseline (visx puts it under the mark).
 */
export function TickText({ x, y, dx, formattedValue }: TickRendererProps) {
  return (
    <text className="chart-tick" x={x} y={y} dx={dx} textAnchor="middle">
      {formattedValue}
    </text>
  );
}

/** The words under a chart's value or time axis, centred under the plot from `from` to `to`. */
export function AxisLabel({
  from,
  to,
  y,
  children,
}: {
  from: number;
  to: number;
  y: number;
  children: ReactNode;
}) {
  return (
    <text className="chart-axis-label" x={(from + to) / 2} y={y} textAnchor="middle">
      {children}
    </text>
  );
}

/** A value scale from 0 to a round number at or above `max`, with its ticks (whole numbers if `integer`). */
export function valueScale(max: number, range: [number, number], integer = false) {
  const scale = scaleLinear<number>({ domain: [0, max > 0 ? max : 1], range }).nice(TICK_COUNT);
  const ticks = scale.ticks(TICK_COUNT).filter((t) => !integer || Number.isInteger(t));
  return { scale, ticks };
}

/** The frame every chart shares: a caption, the chart (or its empty state) and a legend for several series. */
function ChartFrame({
  title,
  legend = [],
  children,
  testId,
}: {
  title: string;
  legend?: Series[];
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

/** A chart with nothing to draw says so instead of drawing an empty box. */
export function EmptyChart(props: {
  title: string;
  emptyTitle: string;
  emptyText?: string | undefined;
  testId?: string | undefined;
}) {
  return (
    <ChartFrame title={props.title} testId={props.testId}>
      <Empty title={props.emptyTitle}>{props.emptyText}</Empty>
    </ChartFrame>
  );
}

/**
 * A chart in its frame: the SVG is an image named by its title and described by `description` for screen
 * readers, the legend under it when there are several series.
 */
export function ChartFigure({
  chart: { title, series, testId },
  description,
  size: [width, height],
  children,
}: {
  chart: { title: string; series: Series[]; testId?: string | undefined };
  description: string;
  size: [width: number, height: number];
  children: ReactNode;
}) {
  const ids = useId();
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
        {children}
      </svg>
    </ChartFrame>
  );
}
