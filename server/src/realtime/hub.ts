import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import type { Authenticator } from '../platform/auth.ts';
import type { Bus } from '../platform/bus.ts';
import type { Config } from '../platform/config.ts';
import { AppError } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import type { Metrics } from '../platform/metrics.ts';
import { createChannelRegistry, registerBuiltinChannels } from './channels.ts';
import { type Connection, closeConnection, createConnection } from './connection.ts';
import { createTicker } from './dashboard.ts';
import type { Presence } from './presence.ts';
import { CloseCodes } from './protocol.ts';
import { authenticate, enqueue, listen } from './session.ts';
import { authenticatedCount, closeWith, createState, type HubState, removeFrom, snapshot } from './state.ts';
import { createStatsRegistry } from './stats.ts';
import { dispatch, removeSubscription } from './subscriptions.ts';

/** How long shutdown waits for peers to finish the closing handshake. */
const SHUTDOWN_GRACE_MS = 2_000;

export interface HubOptions {
  bus: Bus;
  authenticate: Authenticator;
  settings: Config['realtime'];
  presence: Presence;
  metrics: Metrics;
  log: FastifyBaseLogger;
}

/** Pings every authenticated socket; one that has not answered the previous ping is dead and cut off. */
function heartbeat(state: HubState): void {
  for (const conn of state.conns) {
    if (conn.done || !conn.principal) continue; // unauthenticated sockets have the auth deadline
    if (!conn.alive) {
      state.counters.deadSocketsTerminated++;
      state.dropped.inc({ reason: 'dead' });
      conn.log.info('realtime: no pong since the last ping; terminating the socket');
      conn.done = true;
      conn.socket.terminate();
      continue;
    }
    conn.alive = false;
    if (conn.socket.readyState === conn.socket.OPEN) conn.socket.ping();
    if (conn.principal.kind === 'api_key' && conn.credential) recheckKey(state, conn, conn.credential);
  }
}

/** API keys can be revoked at any time; a socket holding a revoked key is closed at the next beat. */
function recheckKey(state: HubState, conn: Connection, credential: string): void {
  state.authenticate(credential).catch((err: unknown) => {
    if (err instanceof AppError && err.status === 401) {
      closeWith(state, conn, CloseCodes.unauthorized, 'the API key was revoked or has expired', 'expired');
    }
  });
}

/**
 * The realtime hub: authenticates sockets, holds their subscriptions, and routes domain events from the
 * bus to them. Channels and dashboard figures are pluggable so each domain registers its own.
 */
export function createHub(opts: HubOptions) {
  const { bus, settings, presence } = opts;
  const log = opts.log.child({ module: 'realtime' });
  const channels = createChannelRegistry();
  registerBuiltinChannels(channels);
  const stats = createStatsRegistry(log, Math.max(1_000, Math.floor(settings.dashboardIntervalMs / 2)));
  const state = createState(
    { settings, log, authenticate: opts.authenticate, channels, stats, presence },
    opts.metrics,
  );
  stats.register({
    name: 'connectedUsers',
    compute: (orgId) => presence.connectedUsers(orgId, snapshot(state, orgId)),
  });
  const tick = createTicker(state);
  let closing = false;
  let onDrained: (() => void) | undefined;

  function cleanup(conn: Connection): void {
    conn.done = true;
    clearTimeout(conn.timers.auth);
    clearTimeout(conn.timers.expiry);
    clearTimeout(conn.timers.kill);
    for (const sub of [...conn.subs.values()]) removeSubscription(state, sub);
    state.conns.delete(conn);
    if (conn.principal) {
      removeFrom(state.byPrincipal, conn.principal.id, conn);
      removeFrom(state.byOrg, conn.principal.orgId, conn);
    }
    if (state.conns.size === 0) onDrained?.();
  }

  /** Takes over an upgraded socket; `credential` is the token from `Sec-WebSocket-Protocol`, if any. */
  function accept(
    socket: WebSocket,
    init: { credential: string | undefined; dashboardOnly: boolean; log: FastifyBaseLogger },
  ): void {
    if (closing) {
      socket.close(CloseCodes.restart, 'server is restarting; reconnect shortly');
      return;
    }
    const id = newId('ws');
    const conn = createConnection(id, socket, init.log.child({ connectionId: id }), init.dashboardOnly);
    state.conns.add(conn);
    socket.on('pong', () => {
      conn.alive = true;
    });
    socket.on('close', () => cleanup(conn));
    listen(state, conn);
    const credential = init.credential;
    if (credential) {
      enqueue(conn, () => authenticate(state, conn, credential, undefined));
      return;
    }
    const reason = 'authentication timed out: send an auth message first';
    conn.timers.auth = setTimeout(
      () => closeWith(state, conn, CloseCodes.unauthorized, reason, 'unauthorized'),
      settings.authTimeoutMs,
    );
    conn.timers.auth.unref();
  }

  const unsubscribeBus = bus.subscribeAll((event) => dispatch(state, event));
  const timers = [
    setInterval(() => heartbeat(state), settings.heartbeatMs),
    setInterval(() => void tick(), settings.dashboardIntervalMs),
    setInterval(() => void presence.publish(snapshot(state)), settings.dashboardIntervalMs),
  ];
  for (const t of timers) t.unref();

  return {
    /** Register a channel kind (`runs`, `conversations`) or say who may see a domain's events. */
    channels,
    /** Register a dashboard figure (`activeRuns`, `inboxUnread`). */
    stats,
    accept,
    /** A personal message: to one user, on every socket they have open in that org, on every replica. */
    async sendToUser(orgId: string, userId: string, type: string, data: unknown): Promise<void> {
      await bus.publish({ topic: `user:${userId}`, type, orgId, data });
    },
    /**
     * Closes this replica's sockets of these principals (user or API key ids) with 4401, in `orgId` or in
     * every org when null: their credential was revoked, so the client refreshes (or signs out).
     */
    disconnect(principalIds: string[], orgId: string | null, reason: string): number {
      let closed = 0;
      for (const id of principalIds) {
        for (const conn of [...(state.byPrincipal.get(id) ?? [])]) {
          if (orgId !== null && conn.principal?.orgId !== orgId) continue;
          closeWith(state, conn, CloseCodes.unauthorized, reason, 'revoked');
          closed++;
        }
      }
      return closed;
    },
    /** This replica's sockets. */
    local() {
      const snap = snapshot(state);
      let users = 0;
      for (const set of snap.usersByOrg.values()) users += set.size;
      const sockets = authenticatedCount(state);
      return {
        sockets,
        unauthenticated: state.conns.size - sockets,
        users,
        orgs: snap.usersByOrg.size,
        ...state.counters,
      };
    },
    /** Sockets and replicas across the deployment (through Redis when configured). */
    totals: () => presence.totals(snapshot(state)),
    /** Sends the dashboard figures now instead of at the next tick (tests, and after big changes). */
    tick,
    /** Closes every socket with `code` (1012: restarting), waits briefly for the handshakes, then stops. */
    async close(code: number = CloseCodes.restart, reason = 'server is restarting; reconnect shortly') {
      if (closing) return;
      closing = true;
      for (const t of timers) clearInterval(t);
      unsubscribeBus();
      const drained = new Promise<void>((resolve) => {
        onDrained = resolve;
        if (state.conns.size === 0) resolve();
      });
      for (const conn of [...state.conns]) closeConnection(conn, code, reason, SHUTDOWN_GRACE_MS);
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, SHUTDOWN_GRACE_MS + 100);
      });
      await Promise.race([drained, grace]);
      clearTimeout(timer);
      for (const conn of [...state.conns]) conn.socket.terminate();
      await presence.close();
    },
  };
}

export type Hub = ReturnType<typeof createHub>;
