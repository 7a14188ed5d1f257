/** What every benchmark reads from its arguments, and the one percentile they print. */

/** `--name <value>` as written, or undefined. */
export function textOption(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

/** `--name <n>`: a whole number from `min` (default 1) to `max`, else `fallback`; anything else stops the bench. */
export function intOption(args: string[], name: string, fallback: number, max: number, min = 1): number {
  const given = textOption(args, name);
  const value = given === undefined ? fallback : Number(given);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`--${name} takes ${min} to ${max}`);
  return value;
}

/** `--name 1,8,32`: whole numbers from 1 to `max`, comma separated, else `fallback`; anything else stops the bench. */
export function intListOption(args: string[], name: string, fallback: number[], max: number): number[] {
  const given = textOption(args, name);
  if (given === undefined) return fallback;
  const values = given.split(',').map(Number);
  if (values.some((v) => !Number.isInteger(v) || v < 1 || v > max))
    throw new Error(`--${name} takes numbers from 1 to ${max}, comma separated`);
  return values;
}

/** The p-th percentile (0–100) of `values`, nearest rank; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}
