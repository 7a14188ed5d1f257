import { afterAll, describe, expect, it } from 'vitest';
import { PROCESS_TEST_TIMEOUT, terminate } from './kit/child-process.ts';
import { cliServer } from './kit/cli-server.ts';
import { clientAs } from './kit/files.ts';
import { makeRunAgent } from './kit/runs.ts';
import { makeTask, startTask, waitForTask } from './kit/tasks.ts';
import { registerOwner } from './kit/users.ts';

/**
 * A task's outcome does not depend on the process that started it: blocked on an approval, the server
 * stops; after it starts again the approval is granted, the run finishes and the task is done.
 */
describe('tasks survive a restart', () => {
  const cleanup: Array<() => void | Promise<void>> = [];
  afterAll(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });

  it(
    'finishes a task blocked before the restart and approved after it',
    async () => {
      const { server, start } = await cliServer(cleanup);
      const first = await start();
      const owner = await registerOwner(server);
      const api = clientAs(server, owner.accessToken);
      const agent = await makeRunAgent(server, owner);
      const task = await makeTask(api, {
        title: 'Deploy',
        description: '/tool demo.approval {"action":"deploy"}',
        assignee: { type: 'agent', id: agent.id },
      });
      const { runId } = await startTask(api, task.id);
      const blocked = await waitForTask(api, task.id, 'blocked');
      expect(await terminate(first)).toBe(0);

      await start();
      const approved = await api.POST('/api/v1/inbox/{id}/approve', {
        params: { path: { id: blocked.blocked!.inboxItemId! } },
        body: {},
      });
      expect(approved.response.status).toBe(200);
      const done = await waitForTask(api, task.id, 'done', 60_000);
      expect(done).toMatchObject({ runId, blocked: null });
      expect(done.result).toContain('demo.approval returned: {"approved":true,"action":"deploy"}');
    },
    PROCESS_TEST_TIMEOUT,
  );
});
