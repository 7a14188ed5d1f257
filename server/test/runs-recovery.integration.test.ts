import { createServer, type Server } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { allowHosts, makeAgent } from './kit/agents.ts';
import { type CliProcess, PROCESS_TEST_TIMEOUT } from './kit/child-process.ts';
import { cliServer } from './kit/cli-server.ts';
import { logLabels, runEvents, submitRun, waitForRun } from './kit/runs.ts';
import { registerOwner } from './kit/users.ts';

/**
 * kill -9 in the middle of a run: a new process picks the run up again and finishes it, and the tool
 * step that had already run is not run a second time.
 */
describe('recovery after a crash', () => {
  const cleanup: Array<() => void | Promise<void>> = [];
  afterAll(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });

  it(
    'finishes a run whose process was killed, without repeating a finished tool call',
    async () => {
      let hits = 0;
      const target: Server = createServer((_req, res) => {
        hits++;
        res.writeHead(200, { 'content-type': 'text/plain' }).end('pong');
      });
      await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
      cleanup.push(() => new Promise<void>((resolve) => target.close(() => resolve())));
      const targetPort = (target.address() as { port: number }).port;

      const { server, start } = await cliServer(cleanup);

      const first: CliProcess = await start();
      const owner = await registerOwner(server);
      await allowHosts(server, owner, ['127.0.0.1']);
      const agent = await makeAgent(server, owner, { tools: ['http.get'] });
      const run = await submitRun(server, owner, {
        agentId: agent.id,
        input: `/tool http.get {"url":"http://127.0.0.1:${targetPort}/hit"}\n/sleep 4000`,
      });
      // Wait until the tool has run and the model sleeps, then kill the process outright.
      for (let i = 0; i < 300; i++) {
        if ((await runEvents(server, owner, run.id)).some((e) => e.type === 'tool.result')) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(hits).toBe(1);
      first.child.kill('SIGKILL');
      await first.exited;

      await start();
      const done = await waitForRun(server, owner, run.id, ['succeeded', 'failed'], 90_000);
      expect(done.status).toBe('succeeded');
      expect(done.attempts).toBeGreaterThanOrEqual(2);
      const events = await runEvents(server, owner, run.id);
      expect(logLabels(events)).toContain('run.started(recovery)');
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      expect(hits).toBe(1); // the finished step was not executed again
    },
    PROCESS_TEST_TIMEOUT,
  );
});
