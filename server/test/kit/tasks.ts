import type { components, SwitchboardClient } from '@switchboard/client';
import { expect } from 'vitest';

export type Task = components['schemas']['Task'];
export type CreateTask = components['schemas']['CreateTaskRequest'];

/** Creates a task and fails the test unless it was (201). */
export async function makeTask(api: SwitchboardClient, body: Partial<CreateTask> & { title?: string } = {}) {
  const res = await api.POST('/api/v1/tasks', { body: { title: 'A task', ...body } as CreateTask });
  expect(res.response.status, JSON.stringify(res.error)).toBe(201);
  return res.data!;
}

/** Starts a task and fails the test unless it was accepted (202). */
export async function startTask(api: SwitchboardClient, id: string) {
  const res = await api.POST('/api/v1/tasks/{id}/start', { params: { path: { id } } });
  expect(res.response.status, JSON.stringify(res.error)).toBe(202);
  return res.data!;
}

/**
 * Waits until a task reaches `status` by reading it again (a bound against hangs, not a speed
 * assertion); fails with the task's last state.
 */
export async function waitForTask(
  api: SwitchboardClient,
  id: string,
  status: Task['status'],
  limitMs = 30_000,
): Promise<Task> {
  const deadline = Date.now() + limitMs;
  let last: Task | undefined;
  while (Date.now() < deadline) {
    const res = await api.GET('/api/v1/tasks/{id}', { params: { path: { id } } });
    last = res.data;
    if (last?.status === status) return last;
    await new Promise((r) => setTimeout(r, 40));
  }
  throw new Error(`task ${id} did not become ${status}; last: ${JSON.stringify(last)}`);
}
