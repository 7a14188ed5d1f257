import { type ReactNode, useId } from 'react';
import { ChartFrame, FONT, niceTicks, plain, type Tone } from './charts.tsx';
import { Empty } from './states.tsx';

/**
 * Charts over a window cut into equal time buckets (e.g. runs finished per minute over the last hour).
 * The whole window is drawn, empty buckets included, so its length reads from the chart; the time axis is
 * marked at round times of the local clock, and every bucket tells its values on hover (`<title>`).
 */

/** How a window's time reads: its buckets' width, where its axis is marked, how a mark and a bucket read. */
export interface TimeAxis {
  bucketMs: number;
  /** A mark every so many minutes of the local clock, counted from midnight (15, 360, 1440…). */
  everyMinutes: number;
  tick: (at: number) => string;
  /** A bucket, from its start, in words: for its tooltip and the chart's description. */
  bucket: (at: number) => string;
}

export interface TimeSeries {
  name: string;
  tone: Tone;
}

/** One bucket: its start, and one value per series (null where there is none). */
export interface TimeBucket {
  at: number;
  values: Array<number | null>;
}

/**
 * The instants from `from` to `to` (both included) that fall every `everyMinutes` of the local clock from
 * midnight: quarter hours, every 6 hours, every midnight. Stepped on the local clock so a change of
 * daylight saving time keeps the marks on round times.
 */
export function clockTicks(from: number, to: number, everyMinutes: number): number[] {
  const mark = new Date(from);
  mark.setHours(0, 0, 0, 0);
  const ticks: number[] = [];
  for (; mark.getTime() <= to; mark.setMinutes(mark.getMinutes() + everyMinutes)) {
    if (mark.getTime() >= from) ticks.push(mark.getTime());
  }
  return ticks;
}

const WIDTH = 400;
const HEIGHT = 180;
const M = { left: 48, right: 14, top: 10, bottom: 36 };
/** About half a label's width per character, for the 11 px tick font. */
const HALF_CHAR = 3.4;

interface Plot {
  from: number;
  to: number;
  yTicks: number[];
  x: (at: number) => number;
  y: (value: number) => number;
}

/** Scales for `buckets` over the whole window and values from 0 to a round number at or above `max`. */
function plotOf(buckets: TimeBucket[], bucketMs: number, max: number, integer: boolean): Plot {
  const from = buckets[0]!.at;
  const to = buckets.at(-1)!.at + bucketMs;
  const yTicks = niceTicks(max, integer);
  const top = yTicks.at(-1)!;
  return {
    from,
    to,
    yTicks,
    x: (at) => M.left + ((at - from) / (to - from)) * (WIDTH - M.left - M.right),
    y: (value) => HEIGHT - M.bottom - (value / top) * (HEIGHT - M.top - M.bottom),
  };
}

/**
 * The time marks' labels, each centred under its mark but moved in to stay inside the chart, and left out
 * where it would run into the one before (a mark just after the window's start, say).
 */
function timeLabels(ticks: number[], x: (at: number) => number, text: (at: number) => string) {
  const labels: Array<{ at: number; text: string; centre: number }> = [];
  let taken = Number.NEGATIVE_INFINITY;
  for (const at of ticks) {
    const label = text(at);
    const half = label.length * HALF_CHAR;
    const centre = Math.min(Math.max(x(at), half + 2), WIDTH - half - 2);
    if (centre - half < taken + 6) continue;
    labels.push({ at, text: label, centre });
    taken = centre + half;
  }
  return labels;
}

interface TimeChartProps {
  title: string;
  series: TimeSeries[];
  /** The window's buckets, oldest first, every one present. */
  buckets: TimeBucket[];
  axis: TimeAxis;
  axisLabel: string;
  format?: (value: number) => string;
  integer?: boolean;
  emptyTitle: string;
  emptyText?: string;
  testId?: string;
}

/**
 * What both time charts share: the empty state when there is nothing to draw (`max` null); otherwise the
 * frame, the value and time axes with their grid, a hover band per bucket, and the chart's own marks.
 */
function TimeChart({
  chart,
  max,
  description,
  marks,
}: {
  chart: TimeChartProps;
  max: number | null;
  description: string;
  marks: (plot: Plot) => ReactNode;
}) {
  const ids = useId();
  const { title, series, buckets, axis, axisLabel, format = plain, testId } = chart;
  if (max === null) {
    return (
      <ChartFrame title={title} testId={testId}>
        <Empty title={chart.emptyTitle}>{chart.emptyText}</Empty>
      </ChartFrame>
    );
  }
  const plot = plotOf(buckets, axis.bucketMs, max, chart.integer ?? false);
  const { x, y } = plot;
  const bottom = HEIGHT - M.bottom;
  const ticks = clockTicks(plot.from, plot.to, axis.everyMinutes);
  const read = (v: number | null) => (v === null ? 'none' : format(v));
  return (
    <ChartFrame title={title} legend={series} testId={testId}>
      <svg
        className="chart-svg"
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-labelledby={`${ids}-t ${ids}-d`}
      >
        <title id={`${ids}-t`}>{title}</title>
        <desc id={`${ids}-d`}>{description}</desc>
        {plot.yTicks.map((t) => (
          <g key={t}>
            <line className="chart-gridline" x1={M.left} x2={WIDTH - M.right} y1={y(t)} y2={y(t)} />
            <text className="chart-tick" x={M.left - 6} y={y(t) + 4} textAnchor="end">
              {format(t)}
            </text>
          </g>
        ))}
        <g className="chart-time-tick">
          {ticks.map((at) => (
            <line key={at} className="chart-gridline" x1={x(at)} x2={x(at)} y1={M.top} y2={bottom + 4} />
          ))}
          {timeLabels(ticks, x, axis.tick).map((label) => (
            <text
              key={label.at}
              className="chart-tick"
              x={label.centre}
              y={bottom + FONT + 6}
              textAnchor="middle"
            >
              {label.text}
            </text>
          ))}
        </g>
        <text
          className="chart-axis-label"
          x={M.left + (WIDTH - M.left - M.right) / 2}
          y={HEIGHT - 4}
          textAnchor="middle"
        >
          {axisLabel}
        </text>
        {buckets.map((b) => (
          <rect
            key={b.at}
            className="chart-band"
            x={x(b.at)}
            y={M.top}
            width={x(b.at + axis.bucketMs) - x(b.at)}
            height={bottom - M.top}
          >
            <title>{`${axis.bucket(b.at)}: ${series.map((s, i) => `${s.name} ${read(b.values[i] ?? null)}`).join(', ')}`}</title>
          </rect>
        ))}
        <line className="chart-axis" x1={M.left} x2={WIDTH - M.right} y1={y(0)} y2={y(0)} />
        {/* Hover goes through the marks to the bucket's band, which holds the tooltip. */}
        <g className="chart-marks">{marks(plot)}</g>
      </svg>
    </ChartFrame>
  );
}

/** Values of several series stacked in one column per bucket (e.g. finished runs by outcome). */
export function StackedColumnChart(chart: TimeChartProps) {
  const { series, buckets, axis, format = plain } = chart;
  const sum = (b: TimeBucket) => b.values.reduce<number>((total, v) => total + (v ?? 0), 0);
  const filled = buckets.filter((b) => sum(b) > 0);
  const named = (values: Array<number | null>, all = false) =>
    series
      .map((s, i) => ({ name: s.name, value: values[i] ?? 0 }))
      .filter((v) => all || v.value > 0)
      .map((v) => `${v.name} ${format(v.value)}`)
      .join(', ');
  const totals = series.map((_, i) => buckets.reduce((total, b) => total + (b.values[i] ?? 0), 0));
  const description = [
    `In all: ${named(totals, true)}.`,
    ...filled.map((b) => `${axis.bucket(b.at)}: ${named(b.values)}.`),
  ].join(' ');
  return (
    <TimeChart
      chart={chart}
      max={filled.length > 0 ? Math.max(...filled.map(sum)) : null}
      description={description}
      marks={(plot) => {
        const width = plot.x(plot.from + axis.bucketMs) - plot.x(plot.from);
        const gap = Math.min(2, width / 4);
        return filled.flatMap((b) => {
          let below = 0;
          return b.values.map((v, i) => {
            if (!v) return null;
            const base = plot.y(below);
            below += v;
            return (
              <rect
                key={`${b.at}-${series[i]!.name}`}
                className={`chart-bar tone-${series[i]!.tone}`}
                x={plot.x(b.at) + gap / 2}
                y={plot.y(below)}
                width={width - gap}
                height={base - plot.y(below)}
              />
            );
          });
        });
      }}
    />
  );
}

/**
 * A line per series through the middle of each bucket, broken where a bucket has no value; a value with
 * none on either side shows as a dot.
 */
export function LineOverTimeChart(chart: TimeChartProps) {
  const { series, buckets, axis, format = plain } = chart;
  const values = buckets.flatMap((b) => b.values.filter((v): v is number => v !== null));
  const description = buckets
    .filter((b) => b.values.some((v) => v !== null))
    .map((b) => {
      const known = series.flatMap((s, i) => {
        const v = b.values[i] ?? null;
        return v === null ? [] : [`${s.name} ${format(v)}`];
      });
      return `${axis.bucket(b.at)}: ${known.join(', ')}.`;
    })
    .join(' ');
  return (
    <TimeChart
      chart={chart}
      max={values.length > 0 ? Math.max(...values) : null}
      description={description}
      marks={(plot) => {
        const middle = (at: number) => plot.x(at + axis.bucketMs / 2);
        return series.map((s, i) => {
          const at = (j: number) => buckets[j]?.values[i] ?? null;
          const path = buckets
            .map((b, j) => {
              const v = at(j);
              if (v === null) return '';
              return `${at(j - 1) === null ? 'M' : 'L'}${middle(b.at)},${plot.y(v)}`;
            })
            .join('');
          const alone = buckets.flatMap((b, j) => {
            const v = at(j);
            return v !== null && at(j - 1) === null && at(j + 1) === null ? [{ at: b.at, v }] : [];
          });
          return (
            <g key={s.name}>
              <path className={`chart-line tone-${s.tone}`} d={path} />
              {alone.map((p) => (
                <circle
                  key={p.at}
                  className={`chart-dot tone-${s.tone}`}
                  cx={middle(p.at)}
                  cy={plot.y(p.v)}
                  r={3}
                />
              ))}
            </g>
          );
        });
      }}
    />
  );
}
