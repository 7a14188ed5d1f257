import { makeAgent } from './agents.ts';
import { clientAs, type Schema } from './api-client.ts';
import { openStream, readSse } from './sse-client.ts';
import type { TestServer } from './test-server.ts';
import type { Session } from './users.ts';

type Run = Schema<'Run'>;
type RunEvent = Schema<'RunEvent'>;
type SubmitRun = Schema<'SubmitRunRequestInput'>;

/** An agent that may use the approval tool and `time.now`. */
export function makeRunAgent(
  server: TestServer,
  session: Session,
  overrides: Parameters<typeof makeAgent>[2] = {},
): Promise<Schema<'Agent'>> {
  return makeAgent(server, session, { tools: ['demo.approval', 'time.now'], ...overrides });
}

export async function submitRun(
  server: { url: string },
  session: Session,
  body: SubmitRun,
  headers: Record<string, string> = {},
): Promise<Run> {
  const res = await clientAs(server, session).POST('/api/v1/runs', { body, headers });
  if (res.response.status !== 202) {
    throw new Error(`submit failed: ${res.response.status} ${JSON.stringify(res.error)}`);
  }
  return res.data!;
}

/**
 * Waits until a run reaches one of `statuses` by following its event stream (SSE): the run is read
 * again only when an event says it changed, never on a timer. Fails with the run's last state when it
 * does not within the limit (a generous bound, not a speed assertion).
 */
export async function waitForRun(
  server: { url: string },
  session: Session,
  id: string,
  statuses: Array<Run['status']>,
  limitMs = 30_000,
): Promise<Run> {
  const api = clientAs(server, session);
  const read = async () => {
    const res = await api.GET('/api/v1/runs/{id}', { params: { path: { id } } });
    return { run: res.data, last: res.data ?? res.error };
  };
  const first = await read();
  if (first.run && statuses.includes(first.run.status)) return first.run;
  const signal = AbortSignal.timeout(limitMs);
  let last: unknown = first.last;
  try {
    // Replayed from the start, so a change made before the stream opened is seen too; the stream
    // ends after the run's last event, and a waiting run keeps it open until it moves again.
    for (;;) {
      const stream = await openStream(`${server.url}/api/v1/runs/${id}/events`, {
        token: session.accessToken,
        signal,
      });
      for await (const _event of readSse(stream)) {
        const now = await read();
        last = now.last;
        if (now.run && statuses.includes(now.run.status)) return now.run;
      }
      const ended = await read();
      last = ended.last;
      if (ended.run && statuses.includes(ended.run.status)) return ended.run;
      if (!ended.run || ['succeeded', 'failed', 'cancelled'].includes(ended.run.status)) break;
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  }
  throw new Error(`run ${id} did not reach ${statuses.join('/')}; last: ${JSON.stringify(last)}`);
}

/**
 * A run log as short labels, precise where the type alone is not: `run.started(approval)`,
 * `run.failed(cancelled)`, `error(retrying)`.
 */
export function logLabels(events: RunEvent[]): string[] {
  return events.map(({ data }) => {
    if (data.type === 'run.started') return `run.started(${data.cause})`;
    if (data.type === 'run.failed' || data.type === 'error') return `${data.type}(${data.code})`;
    return data.type;
  });
}

/** The text of every `message.delta` of a run log, joined. */
export function deltaText(events: Array<{ data: Schema<'ExecutionEvent'> }>): string {
  return events.map(({ data }) => (data.type === 'message.delta' ? data.text : '')).join('');
}

export async function runEvents(
  server: { url: string },
  session: Session,
  id: string,
  after = 0,
): Promise<RunEvent[]> {
  const res = await clientAs(server, session).GET('/api/v1/runs/{id}/events', {
    params: { path: { id }, query: { after } },
    headers: { accept: 'application/json' },
  });
  if (res.response.status !== 200) {
    throw new Error(`events failed: ${res.response.status} ${JSON.stringify(res.error)}`);
  }
  return res.data!.items;
}

export async function inboxItemFor(
  server: { url: string },
  session: Session,
  runId: string,
): Promise<Schema<'InboxItem'>> {
  const res = await clientAs(server, session).GET('/api/v1/inbox', { params: { query: { status: 'open' } } });
  const item = res.data?.items.find((i) => i.runId === runId);
  if (!item) throw new Error(`no inbox item for run ${runId}: ${JSON.stringify(res.data ?? res.error)}`);
  return item;
}
