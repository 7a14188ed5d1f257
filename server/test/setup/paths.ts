import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** Test output (logs, screenshots); ignored by git. */
export const RESULTS_DIR = path.join(ROOT, 'test-results');
/** Every JSON log line of the run, one file per worker process. */
export const LOGS_DIR = path.join(RESULTS_DIR, 'logs');
export const SCREENSHOTS_DIR = path.join(RESULTS_DIR, 'screenshots');
/** The repo's Node 24 (the system `node` may be older). */
export const NODE_BIN = path.join(ROOT, 'node_modules/.bin/node');
export const CLI = path.join(ROOT, 'server/src/cli.ts');
