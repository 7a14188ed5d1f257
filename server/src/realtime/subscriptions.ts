import type { Principal } from '../platform/auth.ts';
import type { BusEvent } from '../platform/bus.ts';
import { type ChannelKind, parseChannel, type ReplayEvent } from './channels.ts';
import { type Audience, type Connection, type Framed, framed, type Subscription } from './connection.ts';
import { sendStats } from './dashboard.ts';
import type { ClientMessage, ServerMessage } from './protocol.ts';
import { addTo, dropSlow, fail, type HubState, push, removeFrom, reply } from './state.ts';

const MAX_SUBSCRIPTIONS = 100;
/** Live events held for one subscription while its log replays; past this it is a slow consumer. */
const MAX_HELD_EVENTS = 10_000;

type Deliverable = Pick<BusEvent, 'type' | 'data' | 'at'> & { seq?: number | undefined };

/** Serialized, UTF-8 encoded and framed once, however many sockets it goes to. */
function eventMessage(channel: string, e: Deliverable): Framed {
  return framed(
    JSON.stringify({
      type: 'event',
      channel,
      seq: e.seq ?? null,
      event: e.type,
      data: e.data,
      at: e.at,
    } satisfies ServerMessage),
  );
}

/** Sends one event unless the subscriber has it already (log channels carry `seq`). */
function deliver(state: HubState, sub: Subscription, e: Deliverable, serialized?: Framed): void {
  if (e.seq !== undefined) {
    if (e.seq <= sub.lastSeq) return;
    sub.lastSeq = e.seq;
  }
  push(state, sub.conn, serialized ?? eventMessage(sub.channel, e));
}

/** What decides the events a subscriber sees on a topic: the channel, the org, the permissions. */
function audienceKey(channel: string, p: Principal): string {
  return `${channel} ${p.orgId} ${[...p.scopes].sort().join(',')}`;
}

/** The audience of `channel` on `topic` for principals like `p`, made when it is the first. */
function audienceOf(
  state: HubState,
  kind: ChannelKind,
  channel: string,
  topic: string,
  p: Principal,
): Audience {
  const key = audienceKey(channel, p);
  let audiences = state.byTopic.get(topic);
  if (!audiences) {
    audiences = new Map();
    state.byTopic.set(topic, audiences);
  }
  let audience = audiences.get(key);
  if (!audience) {
    audience = { key, topic, kind, channel, orgId: p.orgId, principal: p, subs: new Set() };
    audiences.set(key, audience);
  }
  return audience;
}

function leaveAudience(state: HubState, sub: Subscription): void {
  const { audience } = sub;
  audience.subs.delete(sub);
  if (audience.subs.size > 0) return;
  const audiences = state.byTopic.get(audience.topic);
  audiences?.delete(audience.key);
  if (audiences?.size === 0) state.byTopic.delete(audience.topic);
}

/** A socket's principal changed (a fresh token, another role): its subscriptions join their new audiences. */
export function regroup(state: HubState, conn: Connection): void {
  const p = conn.principal;
  if (!p) return;
  for (const sub of conn.subs.values()) {
    if (sub.audience.key === audienceKey(sub.channel, p)) continue;
    leaveAudience(state, sub);
    sub.audience = audienceOf(state, sub.kind, sub.channel, sub.topic, p);
    sub.audience.subs.add(sub);
  }
}

export function removeSubscription(state: HubState, sub: Subscription): void {
  sub.conn.subs.delete(sub.channel);
  leaveAudience(state, sub);
  if (sub.kind.kind === 'dashboard' && sub.conn.principal) {
    removeFrom(state.dashboards, sub.conn.principal.orgId, sub);
  }
}

/**
 * Subscribes a socket to a channel after checking, in order: the name, the kind, the permission, and
 * (for a named resource) that it exists in the caller's org. With `afterSeq` on a channel with a log,
 * the log is replayed first while live events wait, so nothing is missed or sent twice.
 */
export async function subscribe(
  state: HubState,
  conn: Connection,
  msg: Extract<ClientMessage, { type: 'subscribe' }>,
): Promise<void> {
  const p = conn.principal!;
  const ref = { id: msg.id, channel: msg.channel };
  const name = parseChannel(msg.channel);
  if (!name) {
    fail(
      state,
      conn,
      'invalid_channel',
      `"${msg.channel}" is not a channel; use e.g. dashboard or runs:<id>`,
      ref,
    );
    return;
  }
  if (conn.dashboardOnly && name.kind !== 'dashboard') {
    const message = 'this socket serves the dashboard only; use /api/v1/ws for other channels';
    fail(state, conn, 'dashboard_only', message, ref);
    return;
  }
  const kind = state.channels.get(name.kind);
  if (!kind) {
    const message = `no channel "${name.kind}"; channels: ${state.channels.kinds().join(', ')}`;
    fail(state, conn, 'unknown_channel', message, ref);
    return;
  }
  if (kind.hasId !== (name.id !== undefined)) {
    const hint = kind.hasId ? `name one: ${kind.kind}:<id>` : `it takes no id: ${kind.kind}`;
    fail(state, conn, 'invalid_channel', `"${msg.channel}" is not a channel; ${hint}`, ref);
    return;
  }
  if (kind.permission && !p.scopes.has(kind.permission)) {
    fail(state, conn, 'forbidden', `this needs the ${kind.permission} permission`, ref);
    return;
  }
  const answer = (replayed: number) =>
    reply(state, conn, {
      type: 'subscribed',
      channel: name.name,
      replayed,
      ...(msg.id ? { id: msg.id } : {}),
    });
  if (conn.subs.has(name.name)) {
    answer(0);
    return;
  }
  if (conn.subs.size >= MAX_SUBSCRIPTIONS) {
    fail(state, conn, 'too_many_subscriptions', `a socket may hold ${MAX_SUBSCRIPTIONS} subscriptions`, ref);
    return;
  }
  if (name.id !== undefined) {
    let found = false;
    try {
      found = (await kind.authorize?.(p, name.id)) ?? false;
    } catch (err) {
      conn.log.error({ err, channel: name.name }, 'realtime: channel authorization failed');
      fail(state, conn, 'internal_error', 'could not check this channel; try again', ref);
      return;
    }
    if (conn.done) return;
    if (!found) {
      fail(state, conn, 'not_found', `${name.kind} ${name.id} was not found`, ref);
      return;
    }
  }

  const topic = kind.topic(p, name.id);
  const sub: Subscription = {
    conn,
    channel: name.name,
    kind,
    topic,
    audience: audienceOf(state, kind, name.name, topic, p),
    lastSeq: -1,
    held: null,
  };
  const replay = msg.afterSeq !== undefined && name.id !== undefined ? kind.replay : undefined;
  if (replay) sub.held = [];
  conn.subs.set(sub.channel, sub);
  sub.audience.subs.add(sub);
  if (kind.kind === 'dashboard') addTo(state.dashboards, p.orgId, sub);

  let replayed: ReplayEvent[] = [];
  if (replay && name.id !== undefined) {
    try {
      replayed = await replay(p, name.id, msg.afterSeq ?? 0);
    } catch (err) {
      conn.log.error({ err, channel: sub.channel }, 'realtime: replay failed');
      removeSubscription(state, sub);
      fail(state, conn, 'replay_failed', 'could not replay this channel; subscribe again', ref);
      return;
    }
  }
  if (conn.done) return;
  answer(replayed.length);
  for (const e of replayed) deliver(state, sub, e);
  const held = sub.held ?? [];
  sub.held = null;
  for (const e of held) deliver(state, sub, e);
  if (kind.kind === 'dashboard') await sendStats(state, p.orgId, [sub]);
}

/**
 * Routes one bus event: `user:<id>` to that user's sockets in the event's org (channel `personal`);
 * any other topic to the subscriptions on it, filtered by org, kind and per-event permission.
 */
export function dispatch(state: HubState, event: BusEvent): void {
  if (event.topic.startsWith('user:')) {
    const targets = state.byPrincipal.get(event.topic.slice('user:'.length));
    if (!targets) return;
    const serialized = eventMessage('personal', event);
    for (const conn of targets) {
      if (conn.principal?.kind === 'user' && conn.principal.orgId === event.orgId)
        push(state, conn, serialized);
    }
    return;
  }
  const audiences = state.byTopic.get(event.topic);
  if (!audiences) return;
  // Framed once per channel, checked once per audience; per socket, only what is its own (a replay
  // under way, the log position it has, a slow reader).
  const messages = new Map<string, Framed>();
  for (const audience of audiences.values()) {
    const { kind, channel } = audience;
    if (audience.orgId !== event.orgId && !kind.platformWide) continue;
    if (kind.accepts && !kind.accepts(event, audience.principal)) continue;
    if (kind.admit) {
      for (const sub of audience.subs) {
        if (!sub.conn.done) admitInOrder(state, sub, event, kind.admit(event, sub.conn.principal!));
      }
      continue;
    }
    let message = messages.get(channel);
    if (!message) {
      message = eventMessage(channel, event);
      messages.set(channel, message);
    }
    for (const sub of audience.subs) {
      if (sub.conn.done || hold(state, sub, event)) continue;
      deliver(state, sub, event, message);
    }
  }
}

/** Keeps a live event back while the subscription's log replays; true when it was kept. */
function hold(state: HubState, sub: Subscription, event: BusEvent): boolean {
  if (!sub.held) return false;
  sub.held.push(event);
  if (sub.held.length > MAX_HELD_EVENTS) dropSlow(state, sub.conn);
  return true;
}

/**
 * Sends an event once its admission answers yes. Admissions run at once, but each waits for the one
 * before it on the same subscription, so a subscriber never sees two events out of order; a failed
 * check sends nothing (a subscriber never sees what it was not shown to be allowed).
 */
function admitInOrder(state: HubState, sub: Subscription, event: BusEvent, admitted: Promise<boolean>): void {
  const verdict = admitted.catch((err: unknown) => {
    sub.conn.log.error({ err, channel: sub.channel }, 'realtime: an event admission check failed');
    return false;
  });
  sub.admitting = (sub.admitting ?? Promise.resolve()).then(async () => {
    if (!(await verdict) || sub.conn.done || sub.conn.subs.get(sub.channel) !== sub) return;
    if (!hold(state, sub, event)) deliver(state, sub, event);
  });
}
