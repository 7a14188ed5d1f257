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

const messageId = z
  .string()
  .max(100)
  .optional()
  .meta({ description: 'Echoed on the answer, so a client can match them' });
const channel = z.string().min(1).max(200).meta({ description: '`dashboard`, `inbox`, `runs:<id>`, ...' });

export const clientMessageSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('auth'), token: z.string().min(1).max(4096), id: messageId }).meta({
      description: 'Authenticate (first message), or re-authenticate with a fresh token before it expires',
    }),
    z.object({
      type: z.literal('subscribe'),
      channel,
      afterSeq: z
        .number()
        .int()
        .min(0)
        .optional()
        .meta({ description: "Replay the channel's log after this sequence number (channels with a log)" }),
      id: messageId,
    }),
    z.object({ type: z.literal('unsubscribe'), channel, id: messageId }),
    z.object({ type: z.literal('ping'), id: messageId }),
  ])
  .meta({
    id: 'RealtimeClientMessage',
    description: 'What a client sends on /api/v1/ws (and `intent`, RealtimeIntent, to start a chat turn)',
  });

export type ClientMessage = z.infer<typeof clientMessageSchema>;

export const serverMessageSchema = z
  .discriminatedUnion('type', [
    z.object({
      type: z.literal('connection_ack'),
      connectionId: z.string(),
      principal: z.object({ kind: z.enum(['user', 'api_key']), id: z.string(), orgId: z.string() }),
      expiresAt: z
        .number()
        .nullable()
        .meta({ description: 'Unix seconds when the credential expires; send a fresh `auth` before then' }),
      heartbeatMs: z.number().int(),
      id: messageId,
    }),
    z.object({ type: z.literal('subscribed'), channel, replayed: z.number().int(), id: messageId }),
    z.object({ type: z.literal('unsubscribed'), channel, id: messageId }),
    z
      .object({
        type: z.literal('event'),
        channel,
        seq: z
          .number()
          .int()
          .nullable()
          .meta({ description: "Its place in the channel's log; null without one" }),
        event: z.string().meta({ description: 'The event type (on runs:<id>, also data.type)' }),
        data: z.unknown().meta({
          description:
            'On runs:<id> an ExecutionEvent; on conversations:<id> a ConversationMessage; else the event payload',
        }),
        at: z.string(),
      })
      .meta({ description: 'An event on a subscribed channel' }),
    z.object({
      type: z.literal('stats_update'),
      data: z
        .record(z.string(), z.unknown())
        .meta({ description: 'The dashboard figures the caller may see' }),
      at: z.string(),
    }),
    z.object({ type: z.literal('pong'), id: messageId }),
    z.object({
      type: z.literal('error'),
      code: z.string(),
      message: z.string(),
      channel: channel.optional(),
      id: messageId,
    }),
  ])
  .meta({ id: 'RealtimeServerMessage', description: 'What the server sends on /api/v1/ws' });

/** Every message the server sends (chat's `intent_ack` is RealtimeIntentAck). */
export type ServerMessage = z.infer<typeof serverMessageSchema>;

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
