import { mkdirSync, rmSync } from 'node:fs';
import { LOGS_DIR } from './paths.ts';

/** Root global setup: each run starts with an empty log directory, so a suite-wide scan sees only this run. */
export default function setup(): void {
  rmSync(LOGS_DIR, { recursive: true, force: true });
  mkdirSync(LOGS_DIR, { recursive: true });
}
