import type { SwitchboardClient } from '@switchboard/client';
import { expect } from 'vitest';
import type { Schema } from './api-client.ts';
import { type ErrorProject, type Issue, issueOfEvent, newEventId, sendEvent } from './errors.ts';

export type Fix = Schema<'Fix'>;

/** A Sentry event with a stack trace through the repository's `src/cart.js` (line 2, in `total`). */
export function cartEvent(overrides: Record<string, unknown> = {}) {
  return {
    event_id: newEventId(),
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
                filename: '/srv/shop/src/cart.js',
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

/** Reports a cart event (with `overrides`) to the project as an SDK would; answers its issue once grouped. */
export async function reportCart(
  server: { url: string },
  api: SwitchboardClient,
  project: ErrorProject,
  overrides: Record<string, unknown> = {},
): Promise<Issue> {
  const eventId = await sendEvent(server, project, cartEvent(overrides));
  return issueOfEvent(api, project.id, eventId);
}

/** Asks for a fix and fails the test unless it was accepted (202). */
export async function requestFix(
  api: SwitchboardClient,
  issueId: string,
  instructions?: string,
  agentId?: string,
): Promise<Fix> {
  const res = await api.POST('/api/v1/issues/{id}/fixes', {
    params: { path: { id: issueId } },
    body: { ...(instructions === undefined ? {} : { instructions }), ...(agentId ? { agentId } : {}) },
  });
  expect(res.response.status, JSON.stringify(res.error)).toBe(202);
  return res.data!;
}

/**
 * Waits until a fix reaches one of `statuses`; answers it. A loop rather than `expect.poll`, so fixtures
 * in `beforeAll` can wait too; its bound only catches a hang.
 */
export async function waitForFix(
  api: SwitchboardClient,
  id: string,
  statuses: Array<Fix['status']>,
  timeoutMs = 60_000,
): Promise<Fix> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const fix = (await api.GET('/api/v1/fixes/{id}', { params: { path: { id } } })).data;
    if (fix && statuses.includes(fix.status)) return fix;
    if (Date.now() > deadline)
      throw new Error(`fix ${id} never became ${statuses.join(' or ')}; last seen: ${JSON.stringify(fix)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The instructions that make the built-in model propose exactly this edit. */
export const proposing = (edit: { path: string; find: string; replace: string }, then = 'That is the fix.') =>
  `/tool repo.propose_patch ${JSON.stringify(edit)}\n${then}`;
