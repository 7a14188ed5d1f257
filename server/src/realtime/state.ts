import type { FastifyBaseLogger } from 'fastify';
import { Counter, Gauge } from 'prom-client';
import type { Authenticator } from '../platform/auth.ts';
import type { Config } from '../platform/config.ts';
import type { Metrics } from '../platform/metrics.ts';
import type { ChannelRegistry } from './channels.ts';
import {
  type Audience,
  type Connection,
  closeConnection,
  type Framed,
  type Subscription,
  send,
  sendRaw,
} from './connection.ts';
import type { LocalPresence, Presence } from './presence.ts';
import { CloseCodes, type ServerMessage } from './protocol.ts';
import type { StatsRegistry } from './stats.ts';

/** A peer that does not answer our close frame within this is cut off. */
export const CLOSE_GRACE_MS = 5_000;

/** What the hub's parts share: settings, registries, and the indexes of sockets and subscriptions. */
export interface HubState {
  settings: Config['realtime'];
  log: FastifyBaseLogger;
  authenticate: Authenticator;
  channels: ChannelRegistry;
  stats: StatsRegistry;
  presence: Presence;
  /** Every socket, authenticated or not. */
  conns: Set<Connection>;
  byOrg: Map<string, Set<Connection>>;
  /** By user id or API key id. */
  byPrincipal: Map<string, Set<Connection>>;
  /** Subscriptions by bus topic, gathered in audiences (see connection.ts) by their keys. */
  byTopic: Map<string, Map<string, Audience>>;
  /** Dashboard subscriptions by org, for the stats tick. */
  dashboards: Map<string, Set<Subscription>>;
  counters: { slowConsumersDropped: number; deadSocketsTerminated: number };
  dropped: Counter<'reason'>;
}

export function createState(
  base: Pick<HubState, 'settings' | 'log' | 'authenticate' | 'channels' | 'stats' | 'presence'>,
  metrics: Metrics,
): HubState {
  const state: HubState = {
    ...base,
    conns: new Set(),
    byOrg: new Map(),
    byPrincipal: new Map(),
    byTopic: new Map(),
    dashboards: new Map(),
    counters: { slowConsumersDropped: 0, deadSocketsTerminated: 0 },
    dropped: new Counter({
      name: 'switchboard_ws_dropped_total',
      help: 'WebSockets the server closed, by reason',
      labelNames: ['reason'] as const,
      registers: [metrics.registry],
    }),
  };
  new Gauge({
    name: 'switchboard_ws_connections',
    help: 'Authenticated WebSocket connections on this replica',
    registers: [metrics.registry],
    collect() {
      this.set(authenticatedCount(state));
    },
  });
  return state;
}

export function addTo<K, V>(index: Map<K, Set<V>>, key: K, value: V): void {
  const set = index.get(key);
  if (set) set.add(value);
  else index.set(key, new Set([value]));
}

export function removeFrom<K, V>(index: Map<K, Set<V>>, key: K, value: V): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) index.delete(key);
}

export function authenticatedCount(state: HubState): number {
  let n = 0;
  for (const set of state.byPrincipal.values()) n += set.size;
  return n;
}

function usersOf(conns: Iterable<Connection>): Set<string> {
  const users = new Set<string>();
  for (const c of conns) if (c.principal?.userId) users.add(c.principal.userId);
  return users;
}

/** This replica's presence, for every org or for one. */
export function snapshot(state: HubState, orgId?: string): LocalPresence {
  const orgs = orgId === undefined ? [...state.byOrg.keys()] : [orgId];
  return {
    sockets: authenticatedCount(state),
    usersByOrg: new Map(orgs.map((o) => [o, usersOf(state.byOrg.get(o) ?? [])])),
  };
}

// ---- sending ------------------------------------------------------------------------------------

export function closeWith(
  state: HubState,
  conn: Connection,
  code: number,
  reason: string,
  why?: string,
): void {
  if (conn.done) return;
  if (why) state.dropped.inc({ reason: why });
  closeConnection(conn, code, reason, CLOSE_GRACE_MS);
}

/** A client that does not read is closed rather than buffered for without bound. */
export function dropSlow(state: HubState, conn: Connection): void {
  if (conn.done) return;
  state.counters.slowConsumersDropped++;
  conn.log.warn({ bufferedBytes: conn.socket.bufferedAmount }, 'realtime: dropping a slow consumer');
  closeWith(
    state,
    conn,
    CloseCodes.slowConsumer,
    'slow consumer: messages were not read in time',
    'slow_consumer',
  );
}

/** Sends an already serialized message (one serialization, and framing, for many sockets). */
export function push(state: HubState, conn: Connection, serialized: string | Framed): void {
  if (!sendRaw(conn, serialized, state.settings.maxBufferedBytes)) dropSlow(state, conn);
}

export function reply(state: HubState, conn: Connection, message: ServerMessage): void {
  if (!send(conn, message, state.settings.maxBufferedBytes)) dropSlow(state, conn);
}

/** An error message; the socket stays open. */
export function fail(
  state: HubState,
  conn: Connection,
  code: string,
  message: string,
  ref?: { id?: string | undefined; channel?: string | undefined },
): void {
  reply(state, conn, {
    type: 'error',
    code,
    message,
    ...(ref?.channel ? { channel: ref.channel } : {}),
    ...(ref?.id ? { id: ref.id } : {}),
  });
}
