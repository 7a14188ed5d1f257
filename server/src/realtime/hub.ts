import type { FastifyBaseLogger } from 'fastify';
import { Counter, Gauge } from 'prom-client';
import type { RawData, WebSocket } from 'ws';
import type { Authenticator, Principal } from '../platform/auth.ts';
import type { Bus, BusEvent } from '../platform/bus.ts';
import type { Config } from '../platform/config.ts';
import { AppError } from '../platform/errors.ts';
import { newId } from '../platform/ids.ts';
import type { Metrics } from '../platform/metrics.ts';
import { createChannelRegistry, parseChannel, registerBuiltinChannels } from './channels.ts';
import {
  type Connection,
  closeConnection,
  createConnection,
  type Subscription,
  send,
  sendRaw,
} from './connection.ts';
import type { LocalPresence, Presence } from './presence.ts';
import { type ClientMessage, CloseCodes, parseClientMessage, type ServerMessage } from './protocol.ts';
import { createStatsRegistry, type OrgStats, statsFor } from './stats.ts';

const MAX_SUBSCRIPTIONS = 100;
const RATE_WINDOW_MS = 10_000;
const RATE_MAX_MESSAGES = 200;
/** A peer that does not answer our close frame within this is cut off. */
const CLOSE_GRACE_MS = 5_000;
/** How long shutdown waits for peers to finish the closing handshake. */
const SHUTDOWN_GRACE_MS = 2_000;
/** Live events held for one subscription while its log replays; past this it is a slow consumer. */
const MAX_HELD_EVENTS = 10_000;
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface HubOptions {
  bus: Bus;
  authenticate: Authenticator;
  settings: Config['realtime'];
  presence: Presence;
  metrics: Metrics;
  log: FastifyBaseLogger;
}

function addTo<K, V>(index: Map<K, Set<V>>, key: K, value: V): void {
  const set = index.get(key);
  if (set) set.add(value);
  else index.set(key, new Set([value]));
}

function removeFrom<K, V>(index: Map<K, Set<V>>, key: K, value: V): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) index.delete(key);
}

function text(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
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

  const conns = new Set<Connection>();
  const byOrg = new Map<string, Set<Connection>>();
  const byPrincipal = new Map<string, Set<Connection>>();
  const byTopic = new Map<string, Set<Subscription>>();
  const dashboards = new Map<string, Set<Subscription>>();
  const counters = { slowConsumersDropped: 0, deadSocketsTerminated: 0 };
  let closing = false;
  let onDrained: (() => void) | undefined;

  new Gauge({
    name: 'switchboard_ws_connections',
    help: 'Authenticated WebSocket connections on this replica',
    registers: [opts.metrics.registry],
    collect() {
      this.set(byPrincipalCount());
    },
  });
  const dropped = new Counter({
    name: 'switchboard_ws_dropped_total',
    help: 'WebSockets the server closed, by reason',
    labelNames: ['reason'] as const,
    registers: [opts.metrics.registry],
  });

  function byPrincipalCount(): number {
    let n = 0;
    for (const set of byPrincipal.values()) n += set.size;
    return n;
  }

  function localFor(orgId: string): LocalPresence {
    const users = new Set<string>();
    for (const c of byOrg.get(orgId) ?? []) if (c.principal?.userId) users.add(c.principal.userId);
    return { sockets: byPrincipalCount(), usersByOrg: new Map([[orgId, users]]) };
  }

  function snapshot(): LocalPresence {
    const usersByOrg = new Map<string, Set<string>>();
    for (const [orgId, set] of byOrg) {
      const users = new Set<string>();
      for (const c of set) if (c.principal?.userId) users.add(c.principal.userId);
      usersByOrg.set(orgId, users);
    }
    return { sockets: byPrincipalCount(), usersByOrg };
  }

  stats.register({
    name: 'connectedUsers',
    compute: (orgId) => presence.connectedUsers(orgId, localFor(orgId)),
  });

  // ---- sending and closing --------------------------------------------------------------------

  function close(conn: Connection, code: number, reason: string, why?: string): void {
    if (conn.done) return;
    if (why) dropped.inc({ reason: why });
    closeConnection(conn, code, reason, CLOSE_GRACE_MS);
  }

  function dropSlow(conn: Connection): void {
    if (conn.done) return;
    counters.slowConsumersDropped++;
    conn.log.warn({ bufferedBytes: conn.socket.bufferedAmount }, 'realtime: dropping a slow consumer');
    close(conn, CloseCodes.slowConsumer, 'slow consumer: messages were not read in time', 'slow_consumer');
  }

  function push(conn: Connection, serialized: string): void {
    if (!sendRaw(conn, serialized, settings.maxBufferedBytes)) dropSlow(conn);
  }

  function reply(conn: Connection, message: ServerMessage): void {
    if (!send(conn, message, settings.maxBufferedBytes)) dropSlow(conn);
  }

  function fail(
    conn: Connection,
    code: string,
    message: string,
    ref?: { id?: string | undefined; channel?: string },
  ) {
    reply(conn, {
      type: 'error',
      code,
      message,
      ...(ref?.channel ? { channel: ref.channel } : {}),
      ...(ref?.id ? { id: ref.id } : {}),
    });
  }

  // ---- authentication -------------------------------------------------------------------------

  function checkExpiry(conn: Connection): void {
    clearTimeout(conn.timers.expiry);
    const exp = conn.principal?.expiresAt;
    if (exp === null || exp === undefined) return;
    const remaining = exp * 1000 - Date.now();
    if (remaining <= 0) {
      close(conn, CloseCodes.unauthorized, 'token expired: authenticate again with a fresh token', 'expired');
      return;
    }
    conn.timers.expiry = setTimeout(() => checkExpiry(conn), Math.min(remaining, MAX_TIMER_MS));
    conn.timers.expiry.unref();
  }

  async function authenticate(conn: Connection, credential: string, id: string | undefined): Promise<void> {
    let principal: Principal;
    try {
      principal = await opts.authenticate(credential);
    } catch (err) {
      if (!(err instanceof AppError)) {
        conn.log.error({ err }, 'realtime: authentication failed unexpectedly');
        close(conn, 1011, 'internal error');
      } else if (conn.principal) {
        fail(conn, err.code, err.message, { id });
      } else {
        close(conn, CloseCodes.unauthorized, err.message, 'unauthorized');
      }
      return;
    }
    if (conn.done) return;
    const current = conn.principal;
    if (current) {
      if (current.id !== principal.id || current.orgId !== principal.orgId) {
        fail(conn, 'principal_mismatch', 'a fresh token must be for the same user and organisation', { id });
        return;
      }
      conn.principal = principal;
      conn.credential = credential;
      for (const sub of [...conn.subs.values()]) {
        if (sub.kind.permission && !principal.scopes.has(sub.kind.permission)) {
          removeSub(sub);
          fail(conn, 'forbidden', `unsubscribed: this needs the ${sub.kind.permission} permission`, {
            channel: sub.channel,
          });
        }
      }
    } else {
      clearTimeout(conn.timers.auth);
      const mine = byPrincipal.get(principal.id)?.size ?? 0;
      if (mine >= settings.maxConnectionsPerUser) {
        const who = principal.kind === 'user' ? 'user' : 'API key';
        const max = settings.maxConnectionsPerUser;
        close(
          conn,
          CloseCodes.tooManyConnections,
          `too many connections for this ${who} (max ${max})`,
          'cap',
        );
        return;
      }
      if ((byOrg.get(principal.orgId)?.size ?? 0) >= settings.maxConnectionsPerOrg) {
        const max = settings.maxConnectionsPerOrg;
        close(
          conn,
          CloseCodes.tooManyConnections,
          `too many connections for this organisation (max ${max})`,
          'cap',
        );
        return;
      }
      conn.principal = principal;
      conn.credential = credential;
      conn.log = conn.log.child({ principalId: principal.id, orgId: principal.orgId });
      addTo(byPrincipal, principal.id, conn);
      addTo(byOrg, principal.orgId, conn);
    }
    checkExpiry(conn);
    if (conn.done) return;
    reply(conn, {
      type: 'connection_ack',
      connectionId: conn.id,
      principal: { kind: principal.kind, id: principal.id, orgId: principal.orgId },
      expiresAt: principal.expiresAt,
      heartbeatMs: settings.heartbeatMs,
      ...(id ? { id } : {}),
    });
    if (!current && conn.dashboardOnly) await subscribe(conn, { type: 'subscribe', channel: 'dashboard' });
  }

  // ---- subscriptions --------------------------------------------------------------------------

  function removeSub(sub: Subscription): void {
    sub.conn.subs.delete(sub.channel);
    removeFrom(byTopic, sub.topic, sub);
    if (sub.kind.kind === 'dashboard' && sub.conn.principal)
      removeFrom(dashboards, sub.conn.principal.orgId, sub);
  }

  async function subscribe(
    conn: Connection,
    msg: Extract<ClientMessage, { type: 'subscribe' }>,
  ): Promise<void> {
    const p = conn.principal!;
    const ref = { id: msg.id, channel: msg.channel };
    const name = parseChannel(msg.channel);
    if (!name) {
      fail(
        conn,
        'invalid_channel',
        `"${msg.channel}" is not a channel; use e.g. dashboard or runs:<id>`,
        ref,
      );
      return;
    }
    if (conn.dashboardOnly && name.kind !== 'dashboard') {
      fail(
        conn,
        'dashboard_only',
        'this socket serves the dashboard only; use /api/v1/ws for other channels',
        ref,
      );
      return;
    }
    const kind = channels.get(name.kind);
    if (!kind) {
      fail(
        conn,
        'unknown_channel',
        `no channel "${name.kind}"; channels: ${channels.kinds().join(', ')}`,
        ref,
      );
      return;
    }
    if (kind.hasId !== (name.id !== undefined)) {
      const hint = kind.hasId ? `name one: ${kind.kind}:<id>` : `it takes no id: ${kind.kind}`;
      fail(conn, 'invalid_channel', `"${msg.channel}" is not a channel; ${hint}`, ref);
      return;
    }
    if (kind.permission && !p.scopes.has(kind.permission)) {
      fail(conn, 'forbidden', `this needs the ${kind.permission} permission`, ref);
      return;
    }
    if (conn.subs.has(name.name)) {
      reply(conn, { type: 'subscribed', channel: name.name, replayed: 0, ...(msg.id ? { id: msg.id } : {}) });
      return;
    }
    if (conn.subs.size >= MAX_SUBSCRIPTIONS) {
      fail(conn, 'too_many_subscriptions', `a socket may hold ${MAX_SUBSCRIPTIONS} subscriptions`, ref);
      return;
    }
    if (name.id !== undefined) {
      let found = false;
      try {
        found = (await kind.authorize?.(p, name.id)) ?? false;
      } catch (err) {
        conn.log.error({ err, channel: name.name }, 'realtime: channel authorization failed');
        fail(conn, 'internal_error', 'could not check this channel; try again', ref);
        return;
      }
      if (conn.done) return;
      if (!found) {
        fail(conn, 'not_found', `${name.kind} ${name.id} was not found`, ref);
        return;
      }
    }
    const sub: Subscription = {
      conn,
      channel: name.name,
      kind,
      topic: kind.topic(p, name.id),
      lastSeq: -1,
      held: null,
    };
    const replay = msg.afterSeq !== undefined && name.id !== undefined ? kind.replay : undefined;
    if (replay) sub.held = [];
    conn.subs.set(sub.channel, sub);
    addTo(byTopic, sub.topic, sub);
    if (kind.kind === 'dashboard') addTo(dashboards, p.orgId, sub);

    let replayed: Array<{ seq: number; type: string; data: unknown; at: string }> = [];
    if (replay && name.id !== undefined) {
      try {
        replayed = await replay(p, name.id, msg.afterSeq ?? 0);
      } catch (err) {
        conn.log.error({ err, channel: sub.channel }, 'realtime: replay failed');
        removeSub(sub);
        fail(conn, 'replay_failed', 'could not replay this channel; subscribe again', ref);
        return;
      }
    }
    if (conn.done) return;
    reply(conn, {
      type: 'subscribed',
      channel: sub.channel,
      replayed: replayed.length,
      ...(msg.id ? { id: msg.id } : {}),
    });
    for (const e of replayed) deliver(sub, { seq: e.seq, type: e.type, data: e.data, at: e.at });
    const held = sub.held ?? [];
    sub.held = null;
    for (const e of held) deliver(sub, e);
    if (kind.kind === 'dashboard') await sendStats(p.orgId, [sub]);
  }

  function deliver(
    sub: Subscription,
    e: { seq?: number | undefined; type: string; data: unknown; at: string },
    serialized?: string,
  ): void {
    if (e.seq !== undefined) {
      if (e.seq <= sub.lastSeq) return;
      sub.lastSeq = e.seq;
    }
    push(
      sub.conn,
      serialized ??
        JSON.stringify({
          type: 'event',
          channel: sub.channel,
          seq: e.seq ?? null,
          event: e.type,
          data: e.data,
          at: e.at,
        }),
    );
  }

  // ---- routing bus events ---------------------------------------------------------------------

  function dispatch(event: BusEvent): void {
    if (event.topic.startsWith('user:')) {
      const targets = byPrincipal.get(event.topic.slice('user:'.length));
      if (!targets) return;
      const serialized = JSON.stringify({
        type: 'event',
        channel: 'personal',
        seq: event.seq ?? null,
        event: event.type,
        data: event.data,
        at: event.at,
      } satisfies ServerMessage);
      for (const conn of targets) {
        if (conn.principal?.kind === 'user' && conn.principal.orgId === event.orgId) push(conn, serialized);
      }
      return;
    }
    const subs = byTopic.get(event.topic);
    if (!subs) return;
    const cache = new Map<string, string>();
    for (const sub of subs) {
      const p = sub.conn.principal;
      if (!p || p.orgId !== event.orgId || sub.conn.done) continue;
      if (sub.kind.accepts && !sub.kind.accepts(event, p)) continue;
      if (sub.held) {
        sub.held.push(event);
        if (sub.held.length > MAX_HELD_EVENTS) dropSlow(sub.conn);
        continue;
      }
      let serialized = cache.get(sub.channel);
      if (!serialized) {
        serialized = JSON.stringify({
          type: 'event',
          channel: sub.channel,
          seq: event.seq ?? null,
          event: event.type,
          data: event.data,
          at: event.at,
        } satisfies ServerMessage);
        cache.set(sub.channel, serialized);
      }
      deliver(sub, event, serialized);
    }
  }

  // ---- dashboard stats ------------------------------------------------------------------------

  async function sendStats(orgId: string, subs: Iterable<Subscription>, computed?: OrgStats): Promise<void> {
    const figures = computed ?? (await stats.compute(orgId));
    const at = new Date().toISOString();
    const cache = new Map<string, string>();
    for (const sub of subs) {
      const p = sub.conn.principal;
      if (!p || sub.conn.done) continue;
      const data = statsFor(figures, p);
      const key = Object.keys(data).join(',');
      let serialized = cache.get(key);
      if (!serialized) {
        serialized = JSON.stringify({ type: 'stats_update', data, at } satisfies ServerMessage);
        cache.set(key, serialized);
      }
      push(sub.conn, serialized);
    }
  }

  let ticking = false;
  async function tick(): Promise<void> {
    if (ticking) return;
    ticking = true;
    try {
      await Promise.all([...dashboards].map(([orgId, subs]) => sendStats(orgId, [...subs])));
    } catch (err) {
      log.error({ err }, 'realtime: dashboard tick failed');
    } finally {
      ticking = false;
    }
  }

  // ---- heartbeat ------------------------------------------------------------------------------

  function heartbeat(): void {
    for (const conn of conns) {
      if (conn.done || !conn.principal) continue; // unauthenticated sockets have the auth deadline
      if (!conn.alive) {
        counters.deadSocketsTerminated++;
        dropped.inc({ reason: 'dead' });
        conn.log.info('realtime: no pong since the last ping; terminating the socket');
        conn.done = true;
        conn.socket.terminate();
        continue;
      }
      conn.alive = false;
      if (conn.socket.readyState === conn.socket.OPEN) conn.socket.ping();
      if (conn.principal.kind === 'api_key' && conn.credential) recheckKey(conn, conn.credential);
    }
  }

  /** API keys can be revoked at any time; a socket holding a revoked key is closed at the next beat. */
  function recheckKey(conn: Connection, credential: string): void {
    opts.authenticate(credential).catch((err: unknown) => {
      if (err instanceof AppError && err.status === 401) {
        close(conn, CloseCodes.unauthorized, 'the API key was revoked or has expired', 'expired');
      }
    });
  }

  // ---- connections ----------------------------------------------------------------------------

  function allowMessage(conn: Connection): boolean {
    const now = Date.now();
    if (now - conn.window.startedAt > RATE_WINDOW_MS) conn.window = { startedAt: now, count: 0 };
    conn.window.count++;
    return conn.window.count <= RATE_MAX_MESSAGES;
  }

  function enqueue(conn: Connection, task: () => Promise<void> | void): void {
    conn.queue = conn.queue.then(task).catch((err: unknown) => {
      conn.log.error({ err }, 'realtime: message handling failed');
    });
  }

  async function handle(conn: Connection, raw: string): Promise<void> {
    if (conn.done) return;
    const parsed = parseClientMessage(raw);
    if (!conn.principal) {
      if (parsed.ok && parsed.message.type === 'auth') {
        await authenticate(conn, parsed.message.token, parsed.message.id);
      } else {
        close(
          conn,
          CloseCodes.unauthorized,
          'authenticate first: send {"type":"auth","token":"..."}',
          'unauthorized',
        );
      }
      return;
    }
    if (!parsed.ok) {
      fail(conn, parsed.code, parsed.message, { id: parsed.id });
      return;
    }
    const msg = parsed.message;
    switch (msg.type) {
      case 'auth':
        await authenticate(conn, msg.token, msg.id);
        return;
      case 'subscribe':
        await subscribe(conn, msg);
        return;
      case 'unsubscribe': {
        const sub = conn.subs.get(msg.channel);
        if (sub && !(conn.dashboardOnly && sub.kind.kind === 'dashboard')) removeSub(sub);
        reply(conn, { type: 'unsubscribed', channel: msg.channel, ...(msg.id ? { id: msg.id } : {}) });
        return;
      }
      case 'ping':
        reply(conn, { type: 'pong', ...(msg.id ? { id: msg.id } : {}) });
        return;
    }
  }

  function cleanup(conn: Connection): void {
    conn.done = true;
    clearTimeout(conn.timers.auth);
    clearTimeout(conn.timers.expiry);
    clearTimeout(conn.timers.kill);
    for (const sub of [...conn.subs.values()]) removeSub(sub);
    conns.delete(conn);
    if (conn.principal) {
      removeFrom(byPrincipal, conn.principal.id, conn);
      removeFrom(byOrg, conn.principal.orgId, conn);
    }
    if (conns.size === 0) onDrained?.();
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
    conns.add(conn);
    socket.on('pong', () => {
      conn.alive = true;
    });
    socket.on('close', () => cleanup(conn));
    socket.on('message', (data: RawData, isBinary: boolean) => {
      if (conn.done) return;
      if (!allowMessage(conn)) {
        if (conn.window.count === RATE_MAX_MESSAGES + 1) {
          fail(conn, 'rate_limited', `at most ${RATE_MAX_MESSAGES} messages per ${RATE_WINDOW_MS / 1000} s`);
        }
        return;
      }
      const raw = isBinary ? '' : text(data);
      enqueue(conn, () => handle(conn, raw));
    });
    if (init.credential) {
      const credential = init.credential;
      enqueue(conn, () => authenticate(conn, credential, undefined));
    } else {
      conn.timers.auth = setTimeout(
        () =>
          close(
            conn,
            CloseCodes.unauthorized,
            'authentication timed out: send an auth message first',
            'unauthorized',
          ),
        settings.authTimeoutMs,
      );
      conn.timers.auth.unref();
    }
  }

  const unsubscribeBus = bus.subscribeAll(dispatch);
  const timers = [
    setInterval(heartbeat, settings.heartbeatMs),
    setInterval(() => void tick(), settings.dashboardIntervalMs),
    setInterval(() => void presence.publish(snapshot()), settings.dashboardIntervalMs),
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
    /** This replica's sockets. */
    local() {
      const snap = snapshot();
      let users = 0;
      for (const set of snap.usersByOrg.values()) users += set.size;
      return {
        sockets: snap.sockets,
        unauthenticated: conns.size - snap.sockets,
        users,
        orgs: snap.usersByOrg.size,
        ...counters,
      };
    },
    /** Sockets and replicas across the deployment (through Redis when configured). */
    totals: () => presence.totals(snapshot()),
    /** Sends the dashboard figures now instead of at the next tick (tests, and after big changes). */
    tick,
    /** Closes every socket with `code` (1012: restarting), waits briefly for the handshakes, then stops. */
    async close(
      code: number = CloseCodes.restart,
      reason = 'server is restarting; reconnect shortly',
    ): Promise<void> {
      if (closing) return;
      closing = true;
      for (const t of timers) clearInterval(t);
      unsubscribeBus();
      const drained = new Promise<void>((resolve) => {
        onDrained = resolve;
        if (conns.size === 0) resolve();
      });
      for (const conn of [...conns]) closeConnection(conn, code, reason, SHUTDOWN_GRACE_MS);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        drained,
        new Promise((resolve) => (timer = setTimeout(resolve, SHUTDOWN_GRACE_MS + 100))),
      ]);
      clearTimeout(timer);
      for (const conn of [...conns]) conn.socket.terminate();
      await presence.close();
    },
  };
}

export type Hub = ReturnType<typeof createHub>;
