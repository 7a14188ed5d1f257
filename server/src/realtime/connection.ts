import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import type { Principal } from '../platform/auth.ts';
import type { BusEvent } from '../platform/bus.ts';
import type { ChannelKind } from './channels.ts';
import { closeReason, type ServerMessage } from './protocol.ts';

/**
 * The subscribers of one topic who see exactly the same events: one channel, one org, the same
 * permissions. A domain event is checked once for all of them (`accepts` reads only the event, the
 * org and the permissions: see channels.ts) and sent to each as one buffer, framed once.
 */
export interface Audience {
  key: string;
  topic: string;
  kind: ChannelKind;
  channel: string;
  orgId: string;
  /** One of its subscribers' principals: each holds the same permissions in the same org. */
  principal: Principal;
  subs: Set<Subscription>;
}

/** One socket's subscription to one channel. */
export interface Subscription {
  conn: Connection;
  channel: string;
  kind: ChannelKind;
  topic: string;
  audience: Audience;
  /** The highest log position delivered; later duplicates and replay overlaps are dropped. */
  lastSeq: number;
  /** Live events held back while the log is replayed; null once live. */
  held: BusEvent[] | null;
  /** For kinds with `admit`: the last admission under way, so events leave in the order they came. */
  admitting?: Promise<void>;
}

/** One WebSocket and what the hub knows about it. */
export interface Connection {
  id: string;
  socket: WebSocket;
  /**
   * The TCP stream under the WebSocket when it negotiated no extension (no compression): a message
   * framed once is written to it as is, the same buffer for every socket. Otherwise undefined, and
   * each message is framed by the socket.
   */
  wire: Duplex | undefined;
  log: FastifyBaseLogger;
  /** Set once authenticated; until then the socket may only send `auth`. */
  principal: Principal | null;
  /** Kept to re-check API keys (they can be revoked); never logged or sent anywhere. */
  credential: string | null;
  /** `/api/v1/ws/dashboard`: the dashboard channel only. */
  dashboardOnly: boolean;
  subs: Map<string, Subscription>;
  /** Cleared on each heartbeat ping, set by the pong; a socket still false at the next ping is dead. */
  alive: boolean;
  /** Closing or closed: nothing more is sent. */
  done: boolean;
  timers: { auth?: NodeJS.Timeout; expiry?: NodeJS.Timeout; kill?: NodeJS.Timeout };
  /** Client messages in the current rate window. */
  window: { startedAt: number; count: number };
  /** Client messages are handled one at a time, in order. */
  queue: Promise<void>;
}

export function createConnection(
  id: string,
  socket: WebSocket,
  log: FastifyBaseLogger,
  dashboardOnly: boolean,
) {
  const conn: Connection = {
    id,
    socket,
    wire: socket.extensions === '' ? (socket as unknown as { _socket?: Duplex })._socket : undefined,
    log,
    principal: null,
    credential: null,
    dashboardOnly,
    subs: new Map(),
    alive: true,
    done: false,
    timers: {},
    window: { startedAt: Date.now(), count: 0 },
    queue: Promise.resolve(),
  };
  return conn;
}

/** A message serialised, encoded and framed once, for however many sockets it goes to. */
export interface Framed {
  /** The UTF-8 JSON. */
  readonly payload: Buffer;
  /** The payload as one final, unmasked text frame (RFC 6455 section 5.2), header included. */
  readonly frame: Buffer;
}

/** Frames a message once: a server's text frame has a 2, 4 or 10 byte header and no mask. */
export function framed(text: string): Framed {
  const payload = Buffer.from(text);
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + n);
  frame[0] = 0x81; // FIN, opcode 1 (text)
  if (n < 126) frame[1] = n;
  else if (n < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(n), 2);
  }
  payload.copy(frame, head);
  return { payload, frame };
}

/**
 * Sends one message unless the socket is gone or too far behind. Returns false when the client is a
 * slow consumer: the caller drops it instead of letting the buffer grow without bound. A framed
 * message goes out as its frame, written straight to the socket's stream (the same buffer for every
 * socket; the stream keeps the order with what the WebSocket itself writes, as both write at once).
 */
export function sendRaw(conn: Connection, data: string | Framed, maxBufferedBytes: number): boolean {
  if (conn.done || conn.socket.readyState !== conn.socket.OPEN) return true;
  if (conn.socket.bufferedAmount > maxBufferedBytes) return false;
  if (typeof data === 'string') conn.socket.send(data);
  else if (conn.wire) conn.wire.write(data.frame);
  else conn.socket.send(data.payload, { binary: false });
  return true;
}

export function send(conn: Connection, message: ServerMessage, maxBufferedBytes: number): boolean {
  return sendRaw(conn, JSON.stringify(message), maxBufferedBytes);
}

/**
 * Closes with a code and reason the client can act on; a peer that does not finish the closing
 * handshake within `graceMs` is cut off.
 */
export function closeConnection(conn: Connection, code: number, reason: string, graceMs: number): void {
  if (conn.done) return;
  conn.done = true;
  clearTimeout(conn.timers.auth);
  clearTimeout(conn.timers.expiry);
  try {
    conn.socket.close(code, closeReason(reason));
  } catch {
    conn.socket.terminate();
    return;
  }
  conn.timers.kill = setTimeout(() => conn.socket.terminate(), graceMs);
  conn.timers.kill.unref();
}
