import type { SwitchboardClient } from '@switchboard/client';
import { expect } from 'vitest';
import type { Schema } from './api-client.ts';

export type Fix = Schema<'Fix'>;
export type ErrorProject = Schema<'ErrorProject'>;

/** Creates an error project (its repository and verify command as given) and fails the test unless it was. */
export async function makeErrorProject(
  api: SwitchboardClient,
  body: {
    name?: string;
    repository?: { path: string; branch: string } | null;
    verifyCommand?: string[] | null;
  },
): Promise<ErrorProject> {
  const res = await api.POST('/api/v1/error-projects', {
    body: { name: body.name ?? 'Shop', platform: 'node', ...body },
  });
  expect(res.response.status, JSON.stringify(res.error)).toBe(201);
  return res.data!;
}

/** A Sentry event with a stack trace through the repository's `src/cart.js`. */
export function cartEvent(overrides: Record<string, unknown> = {}) {
  return {
    event_id: crypto.randomUUID().replaceAll('-', ''),
    timestamp: new Date().toISOString(),
    platform: 'node',
    level: 'error',
    exception: {
      values: [
        {
          type: 'TypeError',
          value: "Cannot read properties of undefined (reading 'price')",
          stacktrace: {
            frames: [
              { filename: 'node:internal/main', function: 'run', in_app: false, lineno: 1 },
              {
                filename: 'src/cart.js',
                function: 'total',
                in_app: true,
                lineno: 2,
                context_line: '  return items.reduce((sum, i) => sum + i.price, 0);',
              },
            ],
          },
        },
      ],
    },
    ...overrides,
  };
}

/**
 * Sends an event to a project the way a Sentry SDK's store transport does, and waits until it is an
 * event of an issue; answers the issue.
 */
export async function sendEvent(
  server: { url: string },
  api: SwitchboardClient,
  project: ErrorProject,
  event: Record<string, unknown>,
): Promise<Schema<'Issue'>> {
  const res = await fetch(`${server.url}/api/${project.ingestId}/store/?sentry_key=${project.publicKey}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(event),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  let found: Schema<'Issue'> | undefined;
  await expect
    .poll(async () => {
      const list = await api.GET('/api/v1/issues', { params: { query: { projectId: project.id } } });
      for (const issue of list.data?.items ?? []) {
        const events = await api.GET('/api/v1/issues/{id}/events', { params: { path: { id: issue.id } } });
        const ids = (events.data?.items ?? []).map((e) => (e as { eventId?: string }).eventId);
        if (ids.includes(event.event_id as string)) found = issue;
      }
      return found !== undefined;
    })
    .toBe(true);
  return found!;
}

/** Asks for a fix and fails the test unless it was accepted (202). */
export async function requestFix(
  api: SwitchboardClient,
  issueId: string,
  instructions?: string,
  agentId?: string,
) {
  const res = await api.POST('/api/v1/issues/{id}/fixes', {
    params: { path: { id: issueId } },
    body: { ...(instructions === undefined ? {} : { instructions }), ...(agentId ? { agentId } : {}) },
  });
  expect(res.response.status, JSON.stringify(res.error)).toBe(202);
  return res.data!;
}

/** Waits until a fix reaches one of `statuses` (a bound against hangs); answers it. */
export async function waitForFix(
  api: SwitchboardClient,
  id: string,
  statuses: Array<Fix['status']>,
): Promise<Fix> {
  let last: Fix | undefined;
  await expect
    .poll(
      async () => {
        last = (await api.GET('/api/v1/fixes/{id}', { params: { path: { id } } })).data;
        return last && statuses.includes(last.status) ? last.status : JSON.stringify(last);
      },
      { timeout: 60_000 },
    )
    .toSatisfy((s: string) => statuses.includes(s as Fix['status']));
  return last!;
}

/** The instructions that make the built-in model propose exactly this edit. */
export const proposing = (edit: { path: string; find: string; replace: string }, then = 'That is the fix.') =>
  `/tool repo.propose_patch ${JSON.stringify(edit)}\n${then}`;
