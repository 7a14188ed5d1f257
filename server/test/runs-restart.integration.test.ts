import { afterAll, describe, expect, it } from 'vitest';
import { clientAs } from './kit/api-client.ts';
import { PROCESS_TEST_TIMEOUT, terminate } from './kit/child-process.ts';
import { cliServer } from './kit/cli-server.ts';
import { inboxItemFor, logLabels, makeRunAgent, runEvents, submitRun, waitForRun } from './kit/runs.ts';
import { registerOwner } from './kit/users.ts';

/** An approval outlives the process: pause, stop the server, start it again, approve, and the run resumes. */
describe('approvals survive a restart', () => {
  const cleanup: Array<() => void | Promise<void>> = [];
  afterAll(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });

  it(
    'resumes a run approved after the server restarted',
    async () => {
      const { server, start } = await cliServer(cleanup);

      const first = await start();
      const owner = await registerOwner(server);
      const agent = await makeRunAgent(server, owner);
      const run = await submitRun(server, owner, {
        agentId: agent.id,
        input: '/tool demo.approval {"action":"later"}',
      });
      await waitForRun(server, owner, run.id, ['waiting_approval']);
      expect(await terminate(first)).toBe(0); // a clean stop, with the run still waiting

      await start();
      const item = await inboxItemFor(server, owner, run.id);
      const approved = await clientAs(server, owner).POST('/api/v1/inbox/{id}/approve', {
        params: { path: { id: item.id } },
        body: null,
      });
      expect(approved.response.status).toBe(200);
      const done = await waitForRun(server, owner, run.id, ['succeeded', 'failed'], 60_000);
      expect(done).toMatchObject({
        status: 'succeeded',
        output: 'demo.approval returned: {"approved":true,"action":"later"}',
      });
      const labels = logLabels(await runEvents(server, owner, run.id));
      expect(labels).toEqual(
        expect.arrayContaining([
          'approval.required',
          'approval.decided',
          'run.started(approval)',
          'run.completed',
        ]),
      );
    },
    PROCESS_TEST_TIMEOUT,
  );
});
