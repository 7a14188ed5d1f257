import type { Agent } from '../src/agents/present.ts';
import { makeAgent } from './agents-kit.ts';
import { call, type Session } from './factories.ts';
import type { TestServer } from './harness.ts';

export interface RunBody {
  id: string;
  input: string;
  status: string;
  output: string | null;
  error: { code: string; message: string } | null;
  attempts: number;
  lastSeq: number;
}
export interface RunEventBody {
  seq: number;
  type: string;
  data: Record<string, unknown>;
}

/** An agent that may use the approval tool and `time.now`. */
export function makeRunAgent(
  server: TestServer,
  session: Session,
  overrides: Record<string, unknown> = {},
): Promise<Agent> {
  return makeAgent(server, session, { tools: ['demo.approval', 'time.now'], ...overrides });
}

export async function submitRun(
  server: { url: string },
  session: Session,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<RunBody> {
  const res = await call<RunBody>(server, 'POST', '/api/v1/runs', {
    token: session.accessToken,
    body,
    headers,
  });
  if (res.status !== 202) throw new Error(`submit failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * Waits until a run reaches one of `statuses` by following its event stream as JSON pages; fails with
 * the run's last state when it does not within the limit (a generous bound, not a speed assertion).
 */
export async function waitForRun(
  server: { url: string },
  session: Session,
  id: string,
  statuses: string[],
  limitMs = 30_000,
): Promise<RunBody> {
  const deadline = Date.now() + limitMs;
  let last: RunBody | undefined;
  while (Date.now() < deadline) {
    const res = await call<RunBody>(server, 'GET', `/api/v1/runs/${id}`, { token: session.accessToken });
    last = res.body;
    if (statuses.includes(last.status)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`run ${id} did not reach ${statuses.join('/')}; last: ${JSON.stringify(last)}`);
}

/**
 * A run log as short labels, precise where the type alone is not: `run.started(approval)`,
 * `run.failed(cancelled)`, `error(retrying)`.
 */
export function logLabels(events: RunEventBody[]): string[] {
  return events.map((e) => {
    if (e.type === 'run.started') return `run.started(${String(e.data.cause)})`;
    if (e.type === 'run.failed' || e.type === 'error') return `${e.type}(${String(e.data.code)})`;
    return e.type;
  });
}

export async function runEvents(
  server: { url: string },
  session: Session,
  id: string,
  after = 0,
): Promise<RunEventBody[]> {
  const res = await call<{ items: RunEventBody[] }>(
    server,
    'GET',
    `/api/v1/runs/${id}/events?after=${after}`,
    {
      token: session.accessToken,
      headers: { accept: 'application/json' },
    },
  );
  if (res.status !== 200) throw new Error(`events failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.items;
}

export async function inboxItemFor(
  server: { url: string },
  session: Session,
  runId: string,
): Promise<{ id: string }> {
  const res = await call<{ items: Array<{ id: string; runId: string | null }> }>(
    server,
    'GET',
    '/api/v1/inbox?status=open',
    {
      token: session.accessToken,
    },
  );
  const item = res.body.items.find((i) => i.runId === runId);
  if (!item) throw new Error(`no inbox item for run ${runId}: ${JSON.stringify(res.body)}`);
  return item;
}
