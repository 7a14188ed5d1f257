import { clientAs, type Schema } from './api-client.ts';
import { waitForRun } from './runs.ts';
import { openStream, readSse } from './sse-client.ts';
import type { TestServer } from './test-server.ts';
import type { Session } from './users.ts';

/** One chat event as the stream carries it: `id:` parsed, `data:` parsed. */
export interface StreamedEvent {
  id: number;
  type: string;
  data: Schema<'ExecutionEvent'>;
}

/** Reads a chat SSE response until it ends, or until `stopAfter` says to stop (the rest is left unread). */
export async function readChatEvents(
  res: Response,
  stopAfter: (e: StreamedEvent) => boolean = () => false,
): Promise<StreamedEvent[]> {
  const events: StreamedEvent[] = [];
  for await (const e of readSse(res)) {
    const event: StreamedEvent = {
      id: Number(e.id),
      type: e.event ?? '',
      data: JSON.parse(e.data) as StreamedEvent['data'],
    };
    events.push(event);
    if (stopAfter(event)) break;
  }
  return events;
}

export function chatStream(
  server: TestServer,
  session: Session,
  body: Schema<'ChatRequestInput'>,
  signal?: AbortSignal,
): Promise<Response> {
  return openStream(`${server.url}/api/v1/chat/stream`, {
    token: session.accessToken,
    method: 'POST',
    body,
    ...(signal ? { signal } : {}),
  });
}

/**
 * Starts a chat stream, reads until its first text arrives, then drops the connection the way a
 * client going away would. Answers the run id and the run once it has ended.
 */
export async function dropChatStream(server: TestServer, session: Session, body: Schema<'ChatRequestInput'>) {
  const controller = new AbortController();
  const res = await chatStream(server, session, body, controller.signal);
  const runId = res.headers.get('x-run-id')!;
  await readChatEvents(res, (e) => e.type === 'message.delta');
  controller.abort();
  const run = await waitForRun(server, session, runId, ['cancelled', 'succeeded', 'failed']);
  return { runId, run };
}

export { deltaText } from './runs.ts';

/** Creates an API key with the given scopes and returns its secret. */
export async function makeApiKey(server: TestServer, owner: Session, scopes: string[]): Promise<string> {
  const res = await clientAs(server, owner).POST('/api/v1/api-keys', {
    body: { name: `chat-${Math.random().toString(36).slice(2, 8)}`, scopes },
  });
  if (res.response.status !== 201) {
    throw new Error(`api key failed: ${res.response.status} ${JSON.stringify(res.error)}`);
  }
  return res.data!.key;
}
