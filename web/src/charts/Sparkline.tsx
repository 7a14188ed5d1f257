import { scaleLinear } from '@visx/scale';
import { LinePath } from '@visx/shape';
import type { Tone } from './frame.tsx';

const WIDTH = 96;
const HEIGHT = 24;
const PAD = 2;

/**
 * A small line of values for a table row (e.g. an agent's runs per hour), no axes: read out by `label`,
 * broken where a value is missing, its last value marked. Nothing is drawn for fewer than two values.
 */
export function Sparkline({
  values,
  label,
  tone = 'accent',
}: {
  values: Array<number | null>;
  label: string;
  tone?: Tone;
}) {
  const known = values.filter((v): v is number => v !== null);
  if (values.length < 2 || known.length === 0) return <span className="muted">—</span>;
  const x = scaleLinear<number>({ domain: [0, values.length - 1], range: [PAD, WIDTH - PAD] });
  const y = scaleLinear<number>({
    domain: [Math.min(0, ...known), Math.max(...known) || 1],
    range: [HEIGHT - PAD, PAD],
  });
  const lastIndex = values.findLastIndex((v) => v !== null);
  return (
    <svg
      className="sparkline chart-svg"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      width={WIDTH}
      height={HEIGHT}
      role="img"
      aria-label={label}
    >
      <LinePath
        className={`chart-line tone-${tone}`}
        data={values.map((v, i) => ({ v, i }))}
        defined={(p) => p.v !== null}
        x={(p) => x(p.i)}
        y={(p) => y(p.v ?? 0)}
      />
      <circle className={`chart-dot tone-${tone}`} cx={x(lastIndex)} cy={y(values[lastIndex] ?? 0)} r={2} />
    </svg>
  );
}
