import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type CliProcess, freePort, runCli, waitFor } from './child-process.ts';
import { fileDatabaseUrl, storageMode, TEST_SECRET, type TestServer, uniqueSuffix } from './test-server.ts';

/**
 * A real `switchboard serve` process on a data directory (embedded) or on the run's PostgreSQL database
 * with a queue schema of its own, which `start()` can start again after a stop or a kill -9.
 */
export async function cliServer(cleanup: Array<() => void | Promise<void>>) {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-cli-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const env: Record<string, string> = {
    PORT: String(port),
    DATA_DIR: dir,
    SWITCHBOARD_SECRET: TEST_SECRET,
    LOG_LEVEL: 'warn',
    ...(storageMode === 'postgres'
      ? { DATABASE_URL: await fileDatabaseUrl(), QUEUE_SCHEMA: `q_${uniqueSuffix()}` }
      : {}),
  };
  const url = `http://127.0.0.1:${port}`;
  return {
    /** What test helpers need of a server: its address. */
    server: { url } as TestServer,
    async start(): Promise<CliProcess> {
      const cli = runCli(['serve'], env);
      cleanup.push(async () => {
        cli.child.kill('SIGKILL');
        await cli.exited;
      });
      await waitFor(`${url}/health/ready`, cli);
      return cli;
    },
  };
}
