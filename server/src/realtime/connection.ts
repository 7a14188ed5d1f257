import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import type { Principal } from '../platform/auth.ts';
import type { BusEvent } from '../platform/bus.ts';
import type { ChannelKind } from './channels.ts';
import { closeReason, type ServerMessage } from './protocol.ts';

/** One socket's subscription to one channel. */
export interface Subscription {
  conn: Connection;
  channel: string;
  kind: ChannelKind;
  topic: string;
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

/**
 * Sends one serialized message unless the socket is gone or too far behind. Returns false when the
 * client is a slow consumer: the caller drops it instead of letting the buffer grow without bound.
 */
export function sendRaw(conn: Connection, data: string | Buffer, maxBufferedBytes: number): boolean {
  if (conn.done || conn.socket.readyState !== conn.socket.OPEN) return true;
  if (conn.socket.bufferedAmount > maxBufferedBytes) return false;
  // A Buffer encoded once goes to every subscriber as a text frame without re-encoding per socket.
  conn.socket.send(data, { binary: false });
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
