import { AxisBottom } from '@visx/axis';
import { GridRows } from '@visx/grid';
import { scaleTime } from '@visx/scale';
import { BarStack, LinePath } from '@visx/shape';
import { timeDay, timeHour, timeMinute } from '@visx/vendor/d3-time';
import type { ReactNode } from 'react';
import { AxisLabel, ChartFigure, EmptyChart, plain, type Series, TickText, valueScale } from './frame.tsx';

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

/** One bucket: its start, and one value per series (null where there is none). */
export interface TimeBucket {
  at: number;
  values: Array<number | null>;
}

/**
 * The instants from `from` to `to` (both included) every `everyMinutes` of the local clock from midnight:
 * quarter hours, every 6 hours, every midnight (d3-time's intervals, so a change of daylight saving time
 * keeps the marks on round times).
 */
export function clockTicks(from: number, to: number, everyMinutes: number): number[] {
  const interval =
    everyMinutes % 1440 === 0
      ? timeDay.every(everyMinutes / 1440)
      : everyMinutes % 60 === 0
        ? timeHour.every(everyMinutes / 60)
        : timeMinute.every(everyMinutes);
  return (interval?.range(new Date(from), new Date(to + 1)) ?? []).map((d) => d.getTime());
}

const WIDTH = 400;
const HEIGHT = 180;
const M = { left: 48, right: 14, top: 10, bottom: 36 };
const BOTTOM = HEIGHT - M.bottom;
/** About half a label's width per character, for the 11 px tick font. */
const HALF_CHAR = 3.4;

interface TimeChartProps {
  title: string;
  series: Series[];
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

interface Scales {
  x: (at: number) => number;
  time: ReturnType<typeof scaleTime<number>>;
  y: ReturnType<typeof valueScale>['scale'];
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
  marks: (scales: Scales) => ReactNode;
}) {
  const { title, series, buckets, axis, axisLabel, format = plain, testId } = chart;
  if (max === null)
    return (
      <EmptyChart title={title} emptyTitle={chart.emptyTitle} emptyText={chart.emptyText} testId={testId} />
    );
  const from = buckets[0]!.at;
  const to = buckets.at(-1)!.at + axis.bucketMs;
  const time = scaleTime<number>({ domain: [from, to], range: [M.left, WIDTH - M.right] });
  const x = (at: number) => time(at);
  const { scale: y, ticks } = valueScale(max, [BOTTOM, M.top], chart.integer ?? false);
  const read = (v: number | null) => (v === null ? 'none' : format(v));
  const labelShift = (at: number) => {
    const half = axis.tick(at).length * HALF_CHAR;
    // A label that would run past either end is moved in, so it stays inside the chart.
    return { half, dx: Math.min(0, WIDTH - half - 2 - x(at)) + Math.max(0, half + 2 - x(at)) };
  };
  const timeTicks = spacedTicks(clockTicks(from, to, axis.everyMinutes), (at) => {
    const { half, dx } = labelShift(at);
    return [x(at) + dx - half, x(at) + dx + half];
  }).map((at) => new Date(at));
  return (
    <ChartFigure chart={chart} description={description} size={[WIDTH, HEIGHT]}>
      <GridRows
        scale={y}
        tickValues={ticks}
        left={M.left}
        width={WIDTH - M.left - M.right}
        className="chart-gridline"
      />
      {ticks.map((t) => (
        <text key={t} className="chart-tick" x={M.left - 6} y={y(t) + 4} textAnchor="end">
          {format(t)}
        </text>
      ))}
      <g className="chart-time-tick">
        <AxisBottom
          top={BOTTOM}
          scale={time}
          tickValues={timeTicks}
          tickFormat={(d) => axis.tick(new Date(d as Date).getTime())}
          hideAxisLine
          tickLength={4}
          tickClassName="chart-time-mark"
          tickLineProps={{ className: 'chart-gridline' }}
          tickComponent={TickText}
          tickLabelProps={(d) => ({ dx: labelShift(new Date(d as Date).getTime()).dx })}
        />
      </g>
      <AxisLabel from={M.left} to={WIDTH - M.right} y={HEIGHT - 4}>
        {axisLabel}
      </AxisLabel>
      {buckets.map((b) => (
        <rect
          key={b.at}
          className="chart-band"
          x={x(b.at)}
          y={M.top}
          width={x(b.at + axis.bucketMs) - x(b.at)}
          height={BOTTOM - M.top}
        >
          <title>{`${axis.bucket(b.at)}: ${series.map((s, i) => `${s.name} ${read(b.values[i] ?? null)}`).join(', ')}`}</title>
        </rect>
      ))}
      <line className="chart-axis" x1={M.left} x2={WIDTH - M.right} y1={y(0)} y2={y(0)} />
      {/* Hover goes through the marks to the bucket's band, which holds the tooltip. */}
      <g className="chart-marks">{marks({ x, time, y })}</g>
    </ChartFigure>
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
  const rows = filled.map((b) => ({
    at: b.at,
    ...Object.fromEntries(series.map((s, i) => [s.name, b.values[i] ?? 0])),
  }));
  const toneOf = new Map(series.map((s) => [s.name, s.tone]));
  return (
    <TimeChart
      chart={chart}
      max={filled.length > 0 ? Math.max(...filled.map(sum)) : null}
      description={description}
      marks={({ x, time, y }) => {
        const width = x(buckets[0]!.at + axis.bucketMs) - x(buckets[0]!.at);
        const gap = Math.min(2, width / 4);
        return (
          <BarStack
            data={rows}
            keys={series.map((s) => s.name)}
            x={(row) => row.at}
            xScale={time}
            yScale={y}
            color={(key) => key}
          >
            {(stacks) =>
              stacks.flatMap((stack) =>
                stack.bars
                  .filter((bar) => bar.height > 0)
                  .map((bar) => (
                    <rect
                      key={`${bar.bar.data.at}-${stack.key}`}
                      className={`chart-bar tone-${toneOf.get(stack.key)}`}
                      x={x(bar.bar.data.at) + gap / 2}
                      y={bar.y}
                      width={width - gap}
                      height={bar.height}
                    />
                  )),
              )
            }
          </BarStack>
        );
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
      marks={({ x, y }) => {
        const middle = (at: number) => x(at + axis.bucketMs / 2);
        return series.map((s, i) => {
          const at = (j: number) => buckets[j]?.values[i] ?? null;
          const alone = buckets.flatMap((b, j) => {
            const v = at(j);
            return v !== null && at(j - 1) === null && at(j + 1) === null ? [{ at: b.at, v }] : [];
          });
          return (
            <g key={s.name}>
              <LinePath
                className={`chart-line tone-${s.tone}`}
                data={buckets}
                defined={(b) => b.values[i] !== null && b.values[i] !== undefined}
                x={(b) => middle(b.at)}
                y={(b) => y(b.values[i] ?? 0)}
              />
              {alone.map((p) => (
                <circle
                  key={p.at}
                  className={`chart-dot tone-${s.tone}`}
                  cx={middle(p.at)}
                  cy={y(p.v)}
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

/** Ticks whose labels would touch the one before are left out (an edge label moved in can crowd its neighbour). */
function spacedTicks(ticks: number[], extent: (at: number) => [number, number]): number[] {
  const kept: number[] = [];
  let end = Number.NEGATIVE_INFINITY;
  for (const at of ticks) {
    const [left, right] = extent(at);
    if (left < end + 6) continue;
    kept.push(at);
    end = right;
  }
  return kept;
}
