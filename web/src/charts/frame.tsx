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

export const FONT = 11;
const TICK_COUNT = 4;

export const plain = (value: number) => value.toLocaleString();

/** A value scale from 0 to a round number at or above `max`, with its ticks (whole numbers if `integer`). */
export function valueScale(max: number, range: [number, number], integer = false) {
  const scale = scaleLinear<number>({ domain: [0, max > 0 ? max : 1], range }).nice(TICK_COUNT);
  const ticks = scale.ticks(TICK_COUNT).filter((t) => !integer || Number.isInteger(t));
  return { scale, ticks };
}

/** The frame every chart shares: a caption, the chart (or its empty state) and a legend for several series. */
export function ChartFrame({
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

/** The chart's SVG: an image named by its title and described by `description` for screen readers. */
export function ChartSvg({
  title,
  description,
  width,
  height,
  className = 'chart-svg',
  children,
}: {
  title: string;
  description: string;
  width: number;
  height: number;
  className?: string;
  children: ReactNode;
}) {
  const ids = useId();
  return (
    <svg
      className={className}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-labelledby={`${ids}-t ${ids}-d`}
    >
      <title id={`${ids}-t`}>{title}</title>
      <desc id={`${ids}-d`}>{description}</desc>
      {children}
    </svg>
  );
}
