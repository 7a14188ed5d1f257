import { defineConfig } from 'vitest/config';

const exclude = ['**/node_modules/**', '**/dist/**'];
const integration = ['server/**/*.integration.test.ts'];
/** Integration tests run on each storage; the same files, told which by SB_TEST_STORAGE. */
/**
 * Integration files share their worker's loaded modules (`isolate: false`): each file starts and
 * closes servers of its own and mocks no module, and importing the server afresh for every file was
 * half of the run (measured on PGlite: 406 s isolated, 263 s shared).
 */
// Bounds that stop a hang, not speed checks: a server start on a machine at load 10 can take a minute.
const integrationTimeouts = { testTimeout: 120_000, hookTimeout: 120_000 };
/**
 * `expect.poll` waits for a condition, not for a time: its bound only catches a hang, and vitest's
 * default (1 s) is a wall-clock assumption a loaded CI machine breaks.
 */
const expectations = { poll: { timeout: 20_000, interval: 50 } };

export default defineConfig({
  test: {
    // CI also writes a JSON report, which .ci/run summarises in its closing line.
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: 'test-results/vitest.json' }]]
      : ['default'],
    // Vitest's default on a 2-core machine is one worker; the integration tests mostly wait on sockets,
    // child processes and the database, so two overlap well (measured: ~135 s against ~200 s for one).
    maxWorkers: 2,
    // Runs once for the whole run, whichever projects are selected.
    globalSetup: ['server/test/setup/run.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          expect: expectations,
          include: [
            'server/**/*.test.ts',
            'client/src/**/*.test.ts',
            'web/src/**/*.test.{ts,tsx}',
            'scripts/**/*.test.ts',
          ],
          exclude: [...exclude, '**/*.integration.test.ts'],
        },
      },
      {
        test: {
          name: 'pglite',
          expect: expectations,
          include: integration,
          exclude,
          env: { SB_TEST_STORAGE: 'pglite' },
          globalSetup: ['server/test/setup/web-build.ts', 'server/test/setup/pglite-template.ts'],
          isolate: false,
          ...integrationTimeouts,
        },
      },
      ...(process.env.TEST_DATABASE_URL
        ? [
            {
              test: {
                name: 'postgres',
                expect: expectations,
                include: integration,
                exclude,
                env: { SB_TEST_STORAGE: 'postgres' },
                globalSetup: ['server/test/setup/web-build.ts', 'server/test/setup/postgres-database.ts'],
                isolate: false,
                ...integrationTimeouts,
              },
            },
          ]
        : []),
      {
        test: {
          name: 'e2e',
          expect: expectations,
          include: ['web/e2e/**/*.e2e.ts'],
          exclude,
          env: { SB_TEST_STORAGE: 'pglite' },
          globalSetup: ['server/test/setup/web-build.ts', 'server/test/setup/pglite-template.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
