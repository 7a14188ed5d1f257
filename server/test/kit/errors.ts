import { randomUUID } from 'node:crypto';
import type { SwitchboardClient } from '@switchboard/client';
import { expect } from 'vitest';
import type { Schema } from './api-client.ts';
import type { TestServer } from './test-server.ts';
import { uniqueSuffix } from './test-server.ts';

export type ErrorProject = Schema<'ErrorProject'>;
export type Issue = Schema<'Issue'>;

/** Creates an error project through the API. */
export async function makeProject(
  api: SwitchboardClient,
  overrides: Partial<Schema<'CreateErrorProjectRequest'>> = {},
): Promise<ErrorProject> {
  const res = await api.POST('/api/v1/error-projects', {
    body: { name: `Shop ${uniqueSuffix()}`, platform: 'node', ...overrides },
  });
  if (res.response.status !== 201 || !res.data)
    throw new Error(`project: ${res.response.status} ${JSON.stringify(res.error)}`);
  return res.data;
}

/**
 * The project's DSN pointed at the test server (the server's PUBLIC_URL names port 0 in tests): the
 * same key and ingest id, the test server's host.
 */
export function dsnAt(server: { url: string }, project: ErrorProject): string {
  const url = new URL(server.url);
  return `${url.protocol}//${project.publicKey}@${url.host}/${project.ingestId}`;
}

export const newEventId = () => randomUUID().replaceAll('-', '');

/** An envelope: its header, then each item's header and payload, newline-separated. */
export function envelope(
  header: Record<string, unknown>,
  items: Array<{ type: string; payload: unknown; length?: boolean | number }>,
): Buffer {
  const parts: Buffer[] = [Buffer.from(`${JSON.stringify(header)}\n`)];
  for (const item of items) {
    const payload = Buffer.from(
      typeof item.payload === 'string' ? item.payload : JSON.stringify(item.payload),
    );
    const length = item.length === true || item.length === undefined ? payload.length : item.length;
    const itemHeader = item.length === false ? { type: item.type } : { type: item.type, length };
    parts.push(Buffer.from(`${JSON.stringify(itemHeader)}\n`), payload, Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

/** A Sentry-shaped exception event thrown from `fn` in `module` at `line`. */
export function exceptionEvent(opts: {
  type?: string;
  value?: string;
  frames?: Array<{ module?: string; filename?: string; function: string; lineno?: number; in_app?: boolean }>;
  user?: Record<string, unknown>;
  fingerprint?: string[];
  level?: string;
  message?: string;
}): Record<string, unknown> {
  return {
    event_id: newEventId(),
    timestamp: Date.now() / 1000,
    platform: 'node',
    level: opts.level ?? 'error',
    ...(opts.user ? { user: opts.user } : {}),
    ...(opts.fingerprint ? { fingerprint: opts.fingerprint } : {}),
    ...(opts.message ? { message: opts.message } : {}),
    ...(opts.type || opts.frames
      ? {
          exception: {
            values: [
              {
                type: opts.type ?? 'Error',
                value: opts.value ?? 'it broke',
                stacktrace: {
                  frames: (opts.frames ?? []).map((f) => ({ in_app: true, lineno: 1, colno: 1, ...f })),
                },
              },
            ],
          },
        }
      : {}),
  };
}

/** Posts a body to a project's ingest with its key in X-Sentry-Auth (or as given). */
export async function postIngest(
  server: { url: string },
  ingestId: string,
  body: Buffer | string,
  opts: {
    key?: string | undefined;
    kind?: 'envelope' | 'store';
    headers?: Record<string, string>;
    query?: string;
  } = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-sentry-envelope',
    ...(opts.key
      ? { 'x-sentry-auth': `Sentry sentry_version=7, sentry_key=${opts.key}, sentry_client=test/1` }
      : {}),
    ...opts.headers,
  };
  const res = await fetch(`${server.url}/api/${ingestId}/${opts.kind ?? 'envelope'}/${opts.query ?? ''}`, {
    method: 'POST',
    headers,
    body: new Uint8Array(typeof body === 'string' ? Buffer.from(body) : body),
  });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Sends one event in an envelope and expects it accepted. */
export async function sendEvent(
  server: { url: string },
  project: ErrorProject,
  event: Record<string, unknown>,
) {
  const res = await postIngest(
    server,
    project.ingestId,
    envelope({ event_id: event.event_id, sent_at: new Date().toISOString() }, [
      { type: 'event', payload: event },
    ]),
    { key: project.publicKey },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.id as string;
}

/**
 * The project's issues once `until` holds for them (grouping is asynchronous). A loop rather than
 * `expect.poll`, so fixtures in `beforeAll` can wait too; its bound only catches a hang.
 */
export async function issuesOf(
  api: SwitchboardClient,
  projectId: string,
  until: (items: Issue[]) => boolean,
  timeoutMs = 20_000,
): Promise<Issue[]> {
  const deadline = Date.now() + timeoutMs;
  let items: Issue[] = [];
  for (;;) {
    const res = await api.GET('/api/v1/issues', { params: { query: { projectId, limit: 200 } } });
    items = res.data?.items ?? [];
    if (until(items)) return items;
    if (Date.now() > deadline)
      throw new Error(`the issues of ${projectId} never matched; last seen: ${JSON.stringify(items)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The issue an event was grouped into, once it was (a loop, as issuesOf; its bound only catches a hang). */
export async function issueOfEvent(
  api: SwitchboardClient,
  projectId: string,
  eventId: string,
  timeoutMs = 20_000,
): Promise<Issue> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = await api.GET('/api/v1/issues', { params: { query: { projectId, limit: 200 } } });
    for (const issue of list.data?.items ?? []) {
      const events = await api.GET('/api/v1/issues/{id}/events', {
        params: { path: { id: issue.id }, query: { limit: 200 } },
      });
      if ((events.data?.items ?? []).some((e) => e.eventId === eventId)) return issue;
    }
    if (Date.now() > deadline) throw new Error(`event ${eventId} was never grouped into an issue`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Total events grouped into a project's issues. */
export const totalCount = (items: Issue[]) => items.reduce((n, i) => n + i.count, 0);

export type { TestServer };
