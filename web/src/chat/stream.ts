import type { components } from '@switchboard/client';
import { api, unwrap } from '../api/client.ts';
import { ApiError } from '../api/errors.ts';
import { reconnectDelay } from '../realtime/socket.ts';
import {
  type ExecutionEvent,
  executionEventOf,
  isTerminalEvent,
  type RunEvent,
  TERMINAL_STATUSES,
} from '../runs/timeline.ts';
import { readSse, type SseEvent } from './sse.ts';

type ChatRequest = components['schemas']['ChatRequestInput'];

export interface ChatTurnHandlers {
  /** Each event of the turn's log, in order, once. */
  onEvent: (event: RunEvent) => void;
  /** The run the turn became (the first event names it). */
  onRun?: (runId: string, conversationId: string | null) => void;
}

const MAX_RESUMES = 6;
const STREAM_HEADERS = { Accept: 'text/event-stream' };

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** The event of one SSE frame as a run log entry; undefined for frames without a seq. */
export function chatEventOf(e: SseEvent): RunEvent | undefined {
  const seq = Number(e.id);
  if (e.id === undefined || !Number.isInteger(seq)) return undefined;
  let event: ExecutionEvent | undefined;
  try {
    event = executionEventOf(JSON.parse(e.data));
  } catch {
    return undefined;
  }
  return event ? { seq, type: event.type, data: event, at: new Date().toISOString() } : undefined;
}

/**
 * Follows one chat turn over SSE: starts it (`POST /chat/stream`) or picks up an existing run
 * (`GET /chat/stream/{runId}`), and when the stream drops resumes after the last seq received, with
 * back-off, until the run ends or `signal` aborts. Turns are detached, so leaving the page (to approve
 * from the inbox, say) never cancels the run; the Stop button does.
 */
export async function followChatTurn(
  from: { start: Omit<ChatRequest, 'detach' | 'includeEvents'> } | { runId: string; afterSeq: number },
  handlers: ChatTurnHandlers,
  signal: AbortSignal,
): Promise<void> {
  let runId = 'runId' in from ? from.runId : undefined;
  let last = 'runId' in from ? from.afterSeq : 0;
  let failures = 0;
  let finished = false;

  const onFrame = (frame: SseEvent) => {
    if (frame.event === 'error' && frame.id === undefined) return; // the stream broke; resume below
    const event = chatEventOf(frame);
    if (!event || event.seq <= last) return;
    last = event.seq;
    if (event.data.type === 'run.queued') {
      runId = event.data.runId;
      handlers.onRun?.(runId, event.data.conversationId);
    }
    handlers.onEvent(event);
    if (isTerminalEvent(event.type)) finished = true;
  };

  while (!signal.aborted && !finished) {
    const before = last;
    try {
      const body =
        runId === undefined && 'start' in from
          ? await unwrap(
              api.POST('/api/v1/chat/stream', {
                body: { ...from.start, detach: true, includeEvents: false },
                parseAs: 'stream',
                headers: STREAM_HEADERS,
                signal,
              }),
            )
          : await unwrap(
              api.GET('/api/v1/chat/stream/{id}', {
                params: { path: { id: runId! }, query: { after: last } },
                parseAs: 'stream',
                headers: STREAM_HEADERS,
                signal,
              }),
            );
      await readSse(body as ReadableStream<Uint8Array>, onFrame, signal);
    } catch (err) {
      if (signal.aborted) return;
      // A turn that never started, or a refusal (404, 403...), will not get better by trying again.
      if (runId === undefined) throw err;
      if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 429) throw err;
    }
    if (finished || signal.aborted) return;
    if (runId === undefined) throw new Error('the chat stream ended before its run started');
    if (last === before) {
      // Nothing new: has the run ended while nobody listened?
      const run = await unwrap(
        api.GET('/api/v1/runs/{id}', { params: { path: { id: runId } }, signal }),
      ).catch(() => undefined);
      if (run && TERMINAL_STATUSES.has(run.status) && last >= run.lastSeq) return;
      failures++;
    } else {
      failures = 0;
    }
    if (failures > MAX_RESUMES) {
      throw new ApiError(0, 'stream_lost', 'The reply stream was lost; reload the page to see the rest.');
    }
    await sleep(reconnectDelay(failures, 500, 8000, Math.random), signal);
  }
}
