import type { FastifyReply } from 'fastify';

export interface SseMessage {
  id?: string | number;
  event?: string;
  data: unknown;
}

export interface SseStream {
  send(message: SseMessage): boolean;
  /** Aborted when the client goes away (or the server closes the stream). */
  signal: AbortSignal;
  close(): void;
}

const HEARTBEAT_MS = 15_000;

/** Serialises one event in the text/event-stream format. */
export function formatSse(message: SseMessage): string {
  let out = '';
  if (message.id !== undefined) out += `id: ${message.id}\n`;
  if (message.event) out += `event: ${message.event}\n`;
  const data = typeof message.data === 'string' ? message.data : JSON.stringify(message.data);
  for (const line of data.split('\n')) out += `data: ${line}\n`;
  return `${out}\n`;
}

/**
 * Takes over the response as a Server-Sent Events stream: keeps the headers Fastify hooks already set
 * (request id, security, CORS), sends a comment heartbeat so proxies keep the connection, and aborts
 * `signal` when the client disconnects so upstream work can stop.
 */
export function openSse(reply: FastifyReply): SseStream {
  const controller = new AbortController();
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  raw.write(': connected\n\n');
  const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  const finish = () => {
    clearInterval(heartbeat);
    if (!controller.signal.aborted) controller.abort();
  };
  raw.on('close', finish);
  return {
    signal: controller.signal,
    send(message) {
      if (controller.signal.aborted || raw.writableEnded) return false;
      return raw.write(formatSse(message));
    },
    close() {
      finish();
      if (!raw.writableEnded) raw.end();
    },
  };
}

/** `Last-Event-ID` (a reconnecting EventSource) wins over `?after=`; both mean "events after this seq". */
export function resumeSeq(lastEventId: unknown, after: number | undefined): number {
  const fromHeader = typeof lastEventId === 'string' ? Number.parseInt(lastEventId, 10) : Number.NaN;
  if (Number.isInteger(fromHeader) && fromHeader >= 0) return fromHeader;
  return after ?? 0;
}
