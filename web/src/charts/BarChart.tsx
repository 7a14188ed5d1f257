import { AxisBottom } from '@visx/axis';
import { GridColumns } from '@visx/grid';
import { Group } from '@visx/group';
import { scaleBand } from '@visx/scale';
import { Bar } from '@visx/shape';
import { AxisLabel, ChartFigure, EmptyChart, plain, type Series, TickText, valueScale } from './frame.tsx';

export interface BarDatum {
  label: string;
  /** One value per series; null where there is none (drawn as nothing, read out as "none"). */
  values: Array<number | null>;
  /** Colours this category's bar when the chart has a single series (e.g. runs by status). */
  tone?: Series['tone'];
}

const WIDTH = 400;
const M = { left: 128, right: 56, top: 6, bottom: 36 };

/**
 * A horizontal bar chart by group: one row per category (labels stay readable however long), one bar per
 * series in each row, a value axis along the bottom; every bar tells its value on hover.
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
  series: Series[];
  data: BarDatum[];
  format?: (value: number) => string;
  axisLabel: string;
  integer?: boolean;
  emptyTitle: string;
  emptyText?: string;
  testId?: string;
}) {
  const values = data.flatMap((d) => d.values.filter((v): v is number => v !== null));
  if (values.length === 0)
    return <EmptyChart title={title} emptyTitle={emptyTitle} emptyText={emptyText} testId={testId} />;
  const rowHeight = series.length * (series.length > 1 ? 12 : 18) + 14;
  const height = M.top + data.length * rowHeight + M.bottom;
  const bottom = height - M.bottom;
  const { scale: x, ticks } = valueScale(Math.max(...values), [M.left, WIDTH - M.right], integer);
  const rows = scaleBand<string>({
    domain: data.map((d) => d.label),
    range: [M.top, bottom],
    paddingInner: 0.25,
    paddingOuter: 0.12,
  });
  const bars = scaleBand<string>({
    domain: series.map((s) => s.name),
    range: [0, rows.bandwidth()],
    paddingInner: 0.1,
  });
  const read = (v: number | null) => (v === null ? 'none' : format(v));
  const description = data
    .map((d) => `${d.label}: ${d.values.map((v, i) => `${series[i]?.name} ${read(v)}`).join(', ')}`)
    .join('; ');
  const zero = x(0);
  return (
    <ChartFigure chart={{ title, series, testId }} description={description} size={[WIDTH, height]}>
      <GridColumns
        scale={x}
        tickValues={ticks}
        top={M.top}
        height={bottom - M.top}
        className="chart-gridline"
      />
      <AxisBottom
        top={bottom}
        scale={x}
        tickValues={ticks}
        tickFormat={(v) => format(Number(v))}
        hideAxisLine
        hideTicks
        tickLength={4}
        tickComponent={TickText}
      />
      <AxisLabel from={M.left} to={WIDTH - M.right} y={height - 4}>
        {axisLabel}
      </AxisLabel>
      {data.map((d) => (
        <Group key={d.label} top={rows(d.label) ?? 0}>
          <text className="chart-label" x={zero - 8} y={rows.bandwidth() / 2 + 3} textAnchor="end">
            {d.label}
          </text>
          {d.values.map((v, i) => {
            const s = series[i]!;
            const y = bars(s.name) ?? 0;
            const tone = series.length === 1 && d.tone ? d.tone : s.tone;
            return (
              <g key={s.name}>
                {/* A value above zero stays visible as a sliver even beside a much larger one. */}
                <Bar
                  className={`chart-bar tone-${tone}`}
                  x={zero}
                  y={y}
                  width={Math.max(v ? 2 : 0, x(v ?? 0) - zero)}
                  height={bars.bandwidth()}
                  rx={2}
                >
                  <title>{`${d.label}, ${s.name}: ${read(v)}`}</title>
                </Bar>
                <text className="chart-value" x={x(v ?? 0) + 4} y={y + bars.bandwidth() / 2 + 3}>
                  {v === null ? '–' : read(v)}
                </text>
              </g>
            );
          })}
        </Group>
      ))}
      <line className="chart-axis" x1={zero} x2={zero} y1={M.top} y2={bottom} />
    </ChartFigure>
  );
}
