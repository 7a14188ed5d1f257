import type { FastifyBaseLogger } from 'fastify';
import type { RawData } from 'ws';
import type { Principal } from '../platform/auth.ts';
import { AppError } from '../platform/errors.ts';
import type { ChannelRegistry } from './channels.ts';
import type { Connection } from './connection.ts';
import { CloseCodes, parseClientMessage } from './protocol.ts';
import { addTo, closeWith, fail, type HubState, push, reply } from './state.ts';
import { regroup, removeSubscription, subscribe } from './subscriptions.ts';

const RATE_WINDOW_MS = 10_000;
const RATE_MAX_MESSAGES = 200;
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What the hub gives the chat domain's intent handler for one socket. */
export interface IntentSocket {
  principal: Principal;
  /** Sends one message (serialized here); a slow reader is dropped like on any channel. */
  send(message: Record<string, unknown>): void;
  /** Sends `{type:"error", code, message, id?}`; the socket stays open. */
  fail(code: string, message: string, id?: string): void;
  /** Aborted when the socket closes. */
  closed: AbortSignal;
  log: FastifyBaseLogger;
}

/**
 * Handles one `{type:"intent"}` message (the chat domain provides it). Resolves once the turn has
 * started, with the promise of its stream, so the socket's next messages need not wait for the reply.
 */
export type IntentHandler = (
  socket: IntentSocket,
  message: unknown,
) => Promise<{ streaming: Promise<void> } | undefined>;

/** Intent handlers per hub, keyed by the hub's channel registry (what domains are handed). */
const intentHandlers = new WeakMap<ChannelRegistry, IntentHandler>();

/** Lets a hub's sockets start chat turns with `{type:"intent"}`; without a handler it is an unknown type. */
export function handleIntents(channels: ChannelRegistry, handler: IntentHandler): void {
  intentHandlers.set(channels, handler);
}

/** The parsed frame when it is an intent this hub handles; other frames cost a substring search. */
function intentFrame(state: HubState, raw: string): unknown {
  if (!raw.includes('"intent"') || !intentHandlers.has(state.channels)) return undefined;
  try {
    const json: unknown = JSON.parse(raw);
    return (json as { type?: unknown } | null)?.type === 'intent' ? json : undefined;
  } catch {
    return undefined;
  }
}

async function intent(state: HubState, conn: Connection, json: unknown): Promise<void> {
  const handler = intentHandlers.get(state.channels)!;
  const controller = new AbortController();
  const onClose = () => controller.abort();
  conn.socket.once('close', onClose);
  const started = await handler(
    {
      principal: conn.principal!,
      send: (message) => push(state, conn, JSON.stringify(message)),
      fail: (code, message, id) => fail(state, conn, code, message, { id }),
      closed: controller.signal,
      log: conn.log,
    },
    json,
  );
  if (!started) conn.socket.off('close', onClose);
  else void started.streaming.finally(() => conn.socket.off('close', onClose));
}

function text(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}

/** Closes the socket when its credential expires (4401), so the client knows to fetch a fresh token. */
function watchExpiry(state: HubState, conn: Connection): void {
  clearTimeout(conn.timers.expiry);
  const exp = conn.principal?.expiresAt;
  if (exp === null || exp === undefined) return;
  const remaining = exp * 1000 - Date.now();
  if (remaining <= 0) {
    const reason = 'token expired: authenticate again with a fresh token';
    closeWith(state, conn, CloseCodes.unauthorized, reason, 'expired');
    return;
  }
  conn.timers.expiry = setTimeout(() => watchExpiry(state, conn), Math.min(remaining, MAX_TIMER_MS));
  conn.timers.expiry.unref();
}

/** The first authentication of a socket: caps, then the indexes. Returns false when refused. */
function admit(state: HubState, conn: Connection, principal: Principal): boolean {
  const { settings } = state;
  clearTimeout(conn.timers.auth);
  if ((state.byPrincipal.get(principal.id)?.size ?? 0) >= settings.maxConnectionsPerUser) {
    const who = principal.kind === 'user' ? 'user' : 'API key';
    const reason = `too many connections for this ${who} (max ${settings.maxConnectionsPerUser})`;
    closeWith(state, conn, CloseCodes.tooManyConnections, reason, 'cap');
    return false;
  }
  if ((state.byOrg.get(principal.orgId)?.size ?? 0) >= settings.maxConnectionsPerOrg) {
    const reason = `too many connections for this organisation (max ${settings.maxConnectionsPerOrg})`;
    closeWith(state, conn, CloseCodes.tooManyConnections, reason, 'cap');
    return false;
  }
  conn.log = conn.log.child({ principalId: principal.id, orgId: principal.orgId });
  addTo(state.byPrincipal, principal.id, conn);
  addTo(state.byOrg, principal.orgId, conn);
  return true;
}

/**
 * Authenticates a socket, or re-authenticates it with a fresh token for the same principal (which moves
 * the expiry and drops subscriptions the new permissions no longer allow). Tokens are never logged.
 */
export async function authenticate(
  state: HubState,
  conn: Connection,
  credential: string,
  id: string | undefined,
): Promise<void> {
  let principal: Principal;
  try {
    principal = await state.authenticate(credential);
  } catch (err) {
    if (!(err instanceof AppError)) {
      conn.log.error({ err }, 'realtime: authentication failed unexpectedly');
      closeWith(state, conn, 1011, 'internal error');
    } else if (conn.principal) {
      fail(state, conn, err.code, err.message, { id });
    } else {
      closeWith(state, conn, CloseCodes.unauthorized, err.message, 'unauthorized');
    }
    return;
  }
  if (conn.done) return;
  const current = conn.principal;
  if (current && (current.id !== principal.id || current.orgId !== principal.orgId)) {
    fail(state, conn, 'principal_mismatch', 'a fresh token must be for the same user and organisation', {
      id,
    });
    return;
  }
  if (!current && !admit(state, conn, principal)) return;
  conn.principal = principal;
  conn.credential = credential;
  for (const sub of [...conn.subs.values()]) {
    if (sub.kind.permission && !principal.scopes.has(sub.kind.permission)) {
      removeSubscription(state, sub);
      const message = `unsubscribed: this needs the ${sub.kind.permission} permission`;
      fail(state, conn, 'forbidden', message, { channel: sub.channel });
    }
  }
  regroup(state, conn);
  watchExpiry(state, conn);
  if (conn.done) return;
  reply(state, conn, {
    type: 'connection_ack',
    connectionId: conn.id,
    principal: { kind: principal.kind, id: principal.id, orgId: principal.orgId },
    expiresAt: principal.expiresAt,
    heartbeatMs: state.settings.heartbeatMs,
    ...(id ? { id } : {}),
  });
  if (!current && conn.dashboardOnly)
    await subscribe(state, conn, { type: 'subscribe', channel: 'dashboard' });
}

/** One client frame. Before authentication only `auth` is accepted; anything else closes 4401. */
async function handle(state: HubState, conn: Connection, raw: string): Promise<void> {
  if (conn.done) return;
  if (conn.principal && !conn.dashboardOnly) {
    const json = intentFrame(state, raw);
    if (json !== undefined) return intent(state, conn, json);
  }
  const parsed = parseClientMessage(raw);
  if (!conn.principal) {
    if (parsed.ok && parsed.message.type === 'auth') {
      await authenticate(state, conn, parsed.message.token, parsed.message.id);
    } else {
      const reason = 'authenticate first: send {"type":"auth","token":"..."}';
      closeWith(state, conn, CloseCodes.unauthorized, reason, 'unauthorized');
    }
    return;
  }
  if (!parsed.ok) {
    fail(state, conn, parsed.code, parsed.message, { id: parsed.id });
    return;
  }
  const msg = parsed.message;
  const id = msg.id ? { id: msg.id } : {};
  switch (msg.type) {
    case 'auth':
      await authenticate(state, conn, msg.token, msg.id);
      return;
    case 'subscribe':
      await subscribe(state, conn, msg);
      return;
    case 'unsubscribe': {
      const sub = conn.subs.get(msg.channel);
      if (sub && !conn.dashboardOnly) removeSubscription(state, sub);
      reply(state, conn, { type: 'unsubscribed', channel: msg.channel, ...id });
      return;
    }
    case 'ping':
      reply(state, conn, { type: 'pong', ...id });
      return;
  }
}

/** Runs `task` after the socket's earlier messages, in order. */
export function enqueue(conn: Connection, task: () => Promise<void> | void): void {
  conn.queue = conn.queue.then(task).catch((err: unknown) => {
    conn.log.error({ err }, 'realtime: message handling failed');
  });
}

/** Wires a socket's frames to the handler, rate limited per socket and handled one at a time. */
export function listen(state: HubState, conn: Connection): void {
  conn.socket.on('message', (data: RawData, isBinary: boolean) => {
    if (conn.done) return;
    const now = Date.now();
    if (now - conn.window.startedAt > RATE_WINDOW_MS) conn.window = { startedAt: now, count: 0 };
    conn.window.count++;
    if (conn.window.count > RATE_MAX_MESSAGES) {
      if (conn.window.count === RATE_MAX_MESSAGES + 1) {
        const message = `at most ${RATE_MAX_MESSAGES} messages per ${RATE_WINDOW_MS / 1000} s`;
        fail(state, conn, 'rate_limited', message);
      }
      return;
    }
    const raw = isBinary ? '' : text(data);
    enqueue(conn, () => handle(state, conn, raw));
  });
}
