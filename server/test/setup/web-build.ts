import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './paths.ts';

const DIST_INDEX = path.join(ROOT, 'web/dist/index.html');
const SOURCES = ['web/src', 'web/public', 'web/index.html', 'web/vite.config.ts', 'client/src'].map((p) =>
  path.join(ROOT, p),
);

function newestChange(target: string): number {
  if (!existsSync(target)) return 0;
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(
    stat.mtimeMs,
    ...readdirSync(target)
      .filter((name) => !/\.test\.tsx?$/.test(name))
      .map((name) => newestChange(path.join(target, name))),
  );
}

/**
 * Builds the console when web/dist is missing or older than its sources, so the server under test serves
 * the console the tests expect (the e2e tests open it; the CLI would otherwise build it on first start).
 */
export default function setup(): void {
  if (existsSync(DIST_INDEX) && statSync(DIST_INDEX).mtimeMs >= Math.max(...SOURCES.map(newestChange)))
    return;
  // Vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
  const env = { ...process.env, NODE_ENV: 'production' };
  const result = spawnSync('npm', ['run', 'build', '-w', 'web'], { cwd: ROOT, stdio: 'inherit', env });
  if (result.status !== 0) throw new Error(`the console build failed (exit ${result.status})`);
}
