import { z } from 'zod';

/**
 * The WebSocket protocol of `/api/v1/ws`: JSON text frames, one message each, `type` first.
 * Client messages may carry an `id`; the server echoes it on the answer so a client can match them.
 */

/** Close codes a client can act on. 4xxx mirror the HTTP statuses they stand for. */
export const CloseCodes = {
  /** Server shutting down or restarting: reconnect after a short back-off. */
  restart: 1012,
  /** No or bad credential, missing auth message, or the credential expired: get a fresh token. */
  unauthorized: 4401,
  /** The client reads too slowly; the server will not buffer for it. Reconnect and replay. */
  slowConsumer: 4008,
  /** Too many sockets for this user or org. */
  tooManyConnections: 4429,
} as const;

const messageId = z.string().max(100).optional();
const channel = z.string().min(1).max(200);

export const clientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('auth'), token: z.string().min(1).max(4096), id: messageId }),
  z.object({
    type: z.literal('subscribe'),
    channel,
    /** Replay the channel's log from after this sequence number (channels with a log only). */
    afterSeq: z.number().int().min(0).optional(),
    id: messageId,
  }),
  z.object({ type: z.literal('unsubscribe'), channel, id: messageId }),
  z.object({ type: z.literal('ping'), id: messageId }),
]);

export type ClientMessage = z.infer<typeof clientMessageSchema>;

/** Every message the server sends. `event.seq` is the log position on channels with a log, else null. */
export type ServerMessage =
  | {
      type: 'connection_ack';
      connectionId: string;
      principal: { kind: 'user' | 'api_key'; id: string; orgId: string };
      /** Unix seconds when the credential expires; send a fresh `auth` message before then. */
      expiresAt: number | null;
      heartbeatMs: number;
      id?: string | undefined;
    }
  | { type: 'subscribed'; channel: string; replayed: number; id?: string | undefined }
  | { type: 'unsubscribed'; channel: string; id?: string | undefined }
  | {
      type: 'event';
      channel: string;
      seq: number | null;
      event: string;
      data: unknown;
      at: string;
    }
  | { type: 'stats_update'; data: Record<string, unknown>; at: string }
  | { type: 'pong'; id?: string | undefined }
  | {
      type: 'error';
      code: string;
      message: string;
      channel?: string | undefined;
      id?: string | undefined;
    };

/** Parses one client frame; returns the message or the reason it was refused. */
export function parseClientMessage(
  raw: string,
): { ok: true; message: ClientMessage } | { ok: false; code: string; message: string; id?: string } {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, code: 'invalid_json', message: 'the message is not valid JSON' };
  }
  const parsed = clientMessageSchema.safeParse(json);
  if (parsed.success) return { ok: true, message: parsed.data };
  const id =
    typeof json === 'object' && json !== null && typeof (json as { id?: unknown }).id === 'string'
      ? (json as { id: string }).id.slice(0, 100)
      : undefined;
  const type = typeof json === 'object' && json !== null ? (json as { type?: unknown }).type : undefined;
  const known = ['auth', 'subscribe', 'unsubscribe', 'ping'];
  if (typeof type !== 'string' || !known.includes(type)) {
    return {
      ok: false,
      code: 'unknown_message_type',
      message: `unknown message type ${JSON.stringify(type ?? null)}; expected one of ${known.join(', ')}`,
      ...(id ? { id } : {}),
    };
  }
  const issue = parsed.error.issues[0];
  return {
    ok: false,
    code: 'invalid_message',
    message: issue ? `${issue.path.join('.') || 'message'}: ${issue.message}` : 'invalid message',
    ...(id ? { id } : {}),
  };
}

/** Close reasons are at most 123 bytes on the wire. */
export function closeReason(text: string): string {
  return Buffer.byteLength(text) <= 123 ? text : Buffer.from(text).subarray(0, 123).toString();
}
