import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { ReadinessCheck } from '../platform/context.ts';

const PROBE_TIMEOUT_MS = 2_000;
const WINDOW_MS = 10_000;

export const SERVER_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export interface CheckResult {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

/** Runs one readiness check with a deadline and a stopwatch. */
export async function timedProbe(check: ReadinessCheck): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return { ok: true, latencyMs: Math.round((performance.now() - started) * 100) / 100 };
  } catch (err) {
    return {
      ok: false,
      latencyMs: Math.round(performance.now() - started),
      error: err instanceof Error ? err.message : String(err),
    };
  } finally {
    clearTimeout(timer);
  }
}

export interface LoopLag {
  meanMs: number;
  p99Ms: number;
  maxMs: number;
  windowSeconds: number;
}

const ms = (ns: number) => Math.round((Number.isFinite(ns) ? ns : 0) / 1e4) / 100;

/** Event-loop delay over rolling ten-second windows; reports the last full window (or the current one). */
export function createLoopMonitor() {
  const histogram = monitorEventLoopDelay({ resolution: 20 });
  histogram.enable();
  let startedAt = Date.now();
  let last: LoopLag | undefined;
  const roll = () => {
    last = read();
    histogram.reset();
    startedAt = Date.now();
  };
  const read = (): LoopLag => ({
    meanMs: ms(histogram.mean),
    p99Ms: ms(histogram.percentile(99)),
    maxMs: ms(histogram.max),
    windowSeconds: Math.round((Date.now() - startedAt) / 100) / 10,
  });
  const timer = setInterval(roll, WINDOW_MS);
  timer.unref();
  return {
    lag: (): LoopLag => last ?? read(),
    stop(): void {
      clearInterval(timer);
      histogram.disable();
    },
  };
}
