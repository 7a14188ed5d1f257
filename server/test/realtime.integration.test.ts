import { setImmediate as tick } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Domains } from '../src/domains.ts';
import type { ReplayEvent } from '../src/realtime/channels.ts';
import { anonymousClient, clientAs } from './kit/api-client.ts';
import { startReplica, startTestServer, type TestServer, uniqueSuffix } from './kit/test-server.ts';
import { addMember, registerOwner, type Session } from './kit/users.ts';
import {
  ofType,
  openAuthed,
  openSocket,
  subscribe,
  type TestSocket,
  type WsMessage,
} from './kit/ws-client.ts';

/**
 * A stand-in for a domain with a replayable log (runs, conversations): widgets owned by an org, each
 * with its own topic and an event log the hub replays from a sequence number.
 */
function widgetDomain(server: TestServer) {
  const owners = new Map<string, string>();
  const logs = new Map<string, ReplayEvent[]>();
  server.domains.realtime.channels.register({
    kind: 'widgets',
    hasId: true,
    permission: 'members:read',
    authorize: async (p, id) => owners.get(id) === p.orgId,
    topic: (_p, id) => `widget:${id}`,
    replay: async (_p, id, afterSeq) => (logs.get(id) ?? []).filter((e) => e.seq > afterSeq),
  });
  return {
    create(orgId: string): string {
      const id = `wid_${uniqueSuffix()}`;
      owners.set(id, orgId);
      logs.set(id, []);
      return id;
    },
    /** Appends to the log, then publishes, as a domain does (write first, publish after commit). */
    async emit(id: string, orgId: string, seq: number, data: unknown, log = true): Promise<void> {
      const at = new Date().toISOString();
      if (log) logs.get(id)!.push({ seq, type: 'widget.changed', data, at });
      await server.ctx.bus.publish({ topic: `widget:${id}`, type: 'widget.changed', orgId, data, seq, at });
    },
  };
}

const sockets: TestSocket[] = [];
async function track(socket: Promise<TestSocket>): Promise<TestSocket> {
  const s = await socket;
  sockets.push(s);
  return s;
}

let server: TestServer;
let a: Session;
let b: Session;
let widgets: ReturnType<typeof widgetDomain>;
/** The shared server's heartbeat. */
const QUIET_HEARTBEAT_MS = 600_000;

beforeAll(async () => {
  server = await startTestServer({
    env: {
      WS_AUTH_TIMEOUT_MS: '500',
      // Longer than any stall of a loaded machine: a socket is never cut off here for a late pong (the
      // heartbeat's own tests have a server of their own, below).
      WS_HEARTBEAT_MS: String(QUIET_HEARTBEAT_MS),
      DASHBOARD_INTERVAL_MS: '100',
      WS_MAX_MESSAGE_BYTES: '2048',
      WS_MAX_BUFFERED_BYTES: '65536',
    },
  });
  a = await registerOwner(server, 'rt-a');
  b = await registerOwner(server, 'rt-b');
  widgets = widgetDomain(server);
});

afterAll(async () => {
  await Promise.all(sockets.map((s) => s.close()));
  await server?.close();
});

describe('authentication', () => {
  it('accepts the token in Sec-WebSocket-Protocol and answers with the bearer subprotocol', async () => {
    const s = await track(openSocket(server, '/api/v1/ws', { token: a.accessToken }));
    expect(s.ws.protocol).toBe('bearer');
    const ack = await s.next(ofType('connection_ack'));
    expect(ack).toMatchObject({
      principal: { kind: 'user', id: a.userId, orgId: a.orgId },
      heartbeatMs: QUIET_HEARTBEAT_MS,
    });
    expect(typeof ack.expiresAt).toBe('number');
  });

  it('accepts a first auth message, and echoes its id', async () => {
    const s = await track(openSocket(server));
    s.send({ type: 'auth', token: a.accessToken, id: 'hello' });
    expect(await s.next()).toMatchObject({
      type: 'connection_ack',
      id: 'hello',
      principal: { id: a.userId },
    });
  });

  it('accepts an API key', async () => {
    const key = (
      await clientAs(server, a).POST('/api/v1/api-keys', { body: { name: 'rt', scopes: ['members:read'] } })
    ).data!;
    const s = await track(openSocket(server, '/api/v1/ws', { token: key.key }));
    expect(await s.next()).toMatchObject({
      type: 'connection_ack',
      principal: { kind: 'api_key', id: key.apiKey.id, orgId: a.orgId },
    });
  });

  it('closes 4401 when no auth message comes in time', async () => {
    const s = await track(openSocket(server));
    expect(await s.closed).toEqual({
      code: 4401,
      reason: 'authentication timed out: send an auth message first',
    });
    expect(s.messages).toEqual([]);
  });

  it('closes 4401 on a bad token, either way', async () => {
    const viaHeader = await track(openSocket(server, '/api/v1/ws', { token: 'not-a-token' }));
    expect(await viaHeader.closed).toEqual({ code: 4401, reason: 'the access token is not valid' });
    const viaMessage = await track(openSocket(server));
    viaMessage.send({ type: 'auth', token: 'sbk_nope' });
    expect(await viaMessage.closed).toEqual({
      code: 4401,
      reason: 'the API key is not valid, revoked or expired',
    });
  });

  it('closes 4401 when the first message is not auth', async () => {
    const s = await track(openSocket(server));
    s.send({ type: 'subscribe', channel: 'dashboard' });
    expect(await s.closed).toEqual({
      code: 4401,
      reason: 'authenticate first: send {"type":"auth","token":"..."}',
    });
  });

  it('answers a plain HTTP request with 426 in the error envelope', async () => {
    const res = await anonymousClient(server).GET('/api/v1/ws');
    expect(res.response.status).toBe(426);
    expect(res.error).toMatchObject({
      error: { code: 'upgrade_required', message: '/ws speaks WebSocket; connect with a WebSocket client' },
    });
  });

  it('never logs the token', () => {
    const logs = server.logs.join('\n');
    expect(logs).not.toContain(a.accessToken);
    expect(logs).not.toContain(a.accessToken.split('.')[2]);
  });

  it('takes a fresh token for the same principal and refuses one for somebody else', async () => {
    const s = await track(openAuthed(server, a.accessToken));
    const fresh = await anonymousClient(server).POST('/api/v1/auth/login', {
      body: { email: a.email, password: a.password },
    });
    s.send({ type: 'auth', token: fresh.data!.accessToken, id: 'renew' });
    expect(await s.next((m) => m.id === 'renew')).toMatchObject({ type: 'connection_ack' });
    s.send({ type: 'auth', token: b.accessToken, id: 'swap' });
    expect(await s.next((m) => m.id === 'swap')).toEqual({
      type: 'error',
      code: 'principal_mismatch',
      message: 'a fresh token must be for the same user and organisation',
      id: 'swap',
    });
  });
});

describe('channels', () => {
  it('answers protocol mistakes with error messages, not a closed socket', async () => {
    const s = await track(openAuthed(server, a.accessToken));
    s.send('{nope');
    expect(await s.next(ofType('error'))).toMatchObject({ code: 'invalid_json' });
    s.send({ type: 'shout', id: 'x1' });
    expect(await s.next(ofType('error'))).toMatchObject({ code: 'unknown_message_type', id: 'x1' });
    const unknown = await subscribe(s, 'nonsense');
    expect(unknown).toMatchObject({
      type: 'error',
      code: 'unknown_channel',
      message: expect.stringMatching(/^no channel "nonsense"; channels: [a-z, ]+$/),
    });
    const listed = String(unknown.message).split(': ')[1]?.split(', ');
    expect(listed).toEqual(expect.arrayContaining(['dashboard', 'inbox', 'usage', 'widgets']));
    expect(await subscribe(s, 'widgets')).toMatchObject({ code: 'invalid_channel' });
    expect(await subscribe(s, 'dashboard:x')).toMatchObject({ code: 'invalid_channel' });
    s.send({ type: 'ping', id: 'p' });
    expect(await s.next((m) => m.id === 'p')).toEqual({ type: 'pong', id: 'p' });
    expect(s.ws.readyState).toBe(s.ws.OPEN);
  });

  it("does not let org B subscribe to org A's resource, and answers as for a missing one", async () => {
    const mine = widgets.create(a.orgId);
    const sa = await track(openAuthed(server, a.accessToken));
    expect(await subscribe(sa, `widgets:${mine}`)).toMatchObject({
      type: 'subscribed',
      channel: `widgets:${mine}`,
    });

    const sb = await track(openAuthed(server, b.accessToken));
    const theirs = await subscribe(sb, `widgets:${mine}`);
    const missing = await subscribe(sb, 'widgets:wid_missing');
    expect(theirs).toMatchObject({
      type: 'error',
      code: 'not_found',
      message: `widgets ${mine} was not found`,
    });
    expect(missing).toMatchObject({
      type: 'error',
      code: 'not_found',
      message: 'widgets wid_missing was not found',
    });

    await widgets.emit(mine, a.orgId, 1, { secret: 'of A' });
    expect(await sa.next(ofType('event'))).toMatchObject({ channel: `widgets:${mine}`, seq: 1 });
    sb.send({ type: 'ping', id: 'after' });
    await sb.next((m) => m.id === 'after');
    expect(JSON.stringify(sb.messages)).not.toContain('of A');
  });

  it('refuses a channel whose permission the principal lacks', async () => {
    const role = `narrow-${uniqueSuffix()}`;
    await clientAs(server, a).POST('/api/v1/roles', { body: { name: role, permissions: ['agents:read'] } });
    const narrow = await addMember(server, a, role);
    const s = await track(openAuthed(server, narrow.accessToken));
    expect(await subscribe(s, 'inbox')).toMatchObject({
      type: 'error',
      code: 'forbidden',
      message: 'this needs the inbox:read permission',
      channel: 'inbox',
    });
    const own = widgets.create(a.orgId);
    expect(await subscribe(s, `widgets:${own}`)).toMatchObject({ code: 'forbidden' });
    expect(await subscribe(s, 'dashboard')).toMatchObject({ type: 'subscribed' });
  });

  it('replays the log after a sequence number, then goes live without gaps or repeats', async () => {
    const id = widgets.create(a.orgId);
    for (let seq = 1; seq <= 5; seq++) await widgets.emit(id, a.orgId, seq, { n: seq });
    const s = await track(openAuthed(server, a.accessToken));
    expect(await subscribe(s, `widgets:${id}`, { afterSeq: 2 })).toMatchObject({
      type: 'subscribed',
      replayed: 3,
    });
    await widgets.emit(id, a.orgId, 5, { n: 5 }, false); // a duplicate delivery
    await widgets.emit(id, a.orgId, 6, { n: 6 });
    await s.next((m) => m.type === 'event' && m.seq === 6);
    const seqs = s.messages.filter(ofType('event')).map((m) => m.seq);
    expect(seqs).toEqual([3, 4, 5, 6]);
    expect(s.messages.find((m) => m.seq === 3)).toMatchObject({
      type: 'event',
      channel: `widgets:${id}`,
      event: 'widget.changed',
      data: { n: 3 },
    });
  });

  it('stops delivering after unsubscribe', async () => {
    const id = widgets.create(a.orgId);
    const s = await track(openAuthed(server, a.accessToken));
    await subscribe(s, `widgets:${id}`);
    s.send({ type: 'unsubscribe', channel: `widgets:${id}`, id: 'u' });
    expect(await s.next((m) => m.id === 'u')).toEqual({
      type: 'unsubscribed',
      channel: `widgets:${id}`,
      id: 'u',
    });
    await widgets.emit(id, a.orgId, 1, {});
    s.send({ type: 'ping', id: 'later' });
    await s.next((m) => m.id === 'later');
    expect(s.count(ofType('event'))).toBe(0);
  });
});

describe('events and personal messages', () => {
  it("delivers an org's events at once to its dashboard subscribers, and only theirs", async () => {
    const sa = await track(openAuthed(server, a.accessToken));
    const sb = await track(openAuthed(server, b.accessToken));
    await subscribe(sa, 'dashboard');
    await subscribe(sb, 'dashboard');
    await server.ctx.bus.publish({
      topic: `org:${a.orgId}`,
      type: 'task.created',
      orgId: a.orgId,
      data: { title: 'for A' },
    });
    await server.ctx.bus.publish({
      topic: `org:${a.orgId}`,
      type: 'mystery.thing',
      orgId: a.orgId,
      data: {},
    });
    await server.ctx.bus.publish({
      topic: `org:${b.orgId}`,
      type: 'task.created',
      orgId: b.orgId,
      data: { title: 'for B' },
    });
    expect(await sa.next(ofType('event'))).toMatchObject({
      channel: 'dashboard',
      seq: null,
      event: 'task.created',
      data: { title: 'for A' },
    });
    expect(await sb.next(ofType('event'))).toMatchObject({ data: { title: 'for B' } });
    // An event type nobody mapped to a permission reaches no one.
    expect(sa.count((m) => m.event === 'mystery.thing')).toBe(0);
  });

  it('sends each dashboard event to the subscribers whose permissions allow it, however many share them', async () => {
    const api = clientAs(server, a);
    const narrowKey = async (name: string) =>
      (await api.POST('/api/v1/api-keys', { body: { name, scopes: ['members:read'] } })).data!.key;
    const owner = await track(openAuthed(server, a.accessToken));
    const narrow = [
      await track(openAuthed(server, await narrowKey('narrow one'))),
      await track(openAuthed(server, await narrowKey('narrow two'))),
    ];
    for (const s of [owner, ...narrow]) await subscribe(s, 'dashboard');
    const publish = (type: string, title: string) =>
      server.ctx.bus.publish({ topic: `org:${a.orgId}`, type, orgId: a.orgId, data: { title } });
    await publish('task.created', 'tasks:read only');
    await publish('member.added', 'members:read');
    expect(await owner.next(ofType('event'))).toMatchObject({ event: 'task.created' });
    expect(await owner.next(ofType('event'))).toMatchObject({ event: 'member.added' });
    for (const s of narrow) {
      // The first event they get is the second one published: the task was not theirs to see.
      expect(await s.next(ofType('event'))).toMatchObject({ event: 'member.added' });
      expect(s.count((m) => m.event === 'task.created')).toBe(0);
    }
  });

  it('routes inbox events to the inbox channel', async () => {
    const s = await track(openAuthed(server, a.accessToken));
    await subscribe(s, 'inbox');
    await server.ctx.bus.publish({ topic: `org:${a.orgId}`, type: 'task.created', orgId: a.orgId, data: {} });
    await server.ctx.bus.publish({
      topic: `org:${a.orgId}`,
      type: 'inbox.item_created',
      orgId: a.orgId,
      data: { id: 'i1' },
    });
    expect(await s.next(ofType('event'))).toMatchObject({ channel: 'inbox', event: 'inbox.item_created' });
  });

  it('sends a personal message to every socket of that user, and no one else', async () => {
    const colleague = await addMember(server, a, 'member');
    const first = await track(openAuthed(server, a.accessToken));
    const second = await track(openAuthed(server, a.accessToken));
    const other = await track(openAuthed(server, colleague.accessToken));
    await server.domains.realtime.sendToUser(a.orgId, a.userId, 'notice', { text: 'just you' });
    for (const s of [first, second]) {
      expect(await s.next(ofType('event'))).toMatchObject({
        channel: 'personal',
        event: 'notice',
        data: { text: 'just you' },
      });
    }
    other.send({ type: 'ping', id: 'p' });
    await other.next((m) => m.id === 'p');
    expect(other.count(ofType('event'))).toBe(0);
  });
});

describe('the dashboard', () => {
  it('sends stats_update on every tick to dashboard subscribers only, with pluggable figures', async () => {
    server.domains.realtime.stats.register({
      name: 'membersSeen',
      permission: 'members:read',
      compute: async () => 7,
    });
    const watcher = await track(openAuthed(server, a.accessToken));
    const idle = await track(openAuthed(server, a.accessToken));
    await subscribe(watcher, 'dashboard');
    for (let i = 0; i < 4; i++) await watcher.next(ofType('stats_update'));
    expect(watcher.count(ofType('stats_update'))).toBeGreaterThanOrEqual(4);
    expect(idle.count(ofType('stats_update'))).toBe(0);
    const last = watcher.messages.filter(ofType('stats_update')).at(-1)!;
    expect(last.data).toMatchObject({ connectedUsers: expect.any(Number), membersSeen: 7 });
  });

  it('counts distinct connected users, and hides figures a subscriber may not see', async () => {
    const c = await registerOwner(server, 'rt-c');
    const role = `nomembers-${uniqueSuffix()}`;
    await clientAs(server, c).POST('/api/v1/roles', { body: { name: role, permissions: ['agents:read'] } });
    const limited = await addMember(server, c, role);
    const s1 = await track(openAuthed(server, c.accessToken));
    await track(openAuthed(server, c.accessToken));
    const s3 = await track(openAuthed(server, limited.accessToken, '/api/v1/ws/dashboard'));
    await subscribe(s1, 'dashboard');
    await server.domains.realtime.tick();
    const update = (await s1.next(
      (m) => m.type === 'stats_update' && (m.data as { connectedUsers: number }).connectedUsers === 2,
    )) as WsMessage & { data: Record<string, unknown> };
    expect(update.data.membersSeen).toBe(7);
    const limitedUpdate = (await s3.next(ofType('stats_update'))) as WsMessage & {
      data: Record<string, unknown>;
    };
    expect(Object.keys(limitedUpdate.data)).toEqual(['connectedUsers']);
  });

  it('/ws/dashboard acknowledges, subscribes to the dashboard alone and pushes stats', async () => {
    const s = await track(openAuthed(server, a.accessToken, '/api/v1/ws/dashboard'));
    expect(await s.next()).toMatchObject({ type: 'subscribed', channel: 'dashboard' });
    await s.next(ofType('stats_update'));
    expect(await subscribe(s, 'inbox')).toMatchObject({ type: 'error', code: 'dashboard_only' });
    await server.ctx.bus.publish({
      topic: `org:${a.orgId}`,
      type: 'run.started',
      orgId: a.orgId,
      data: { id: 'r' },
    });
    expect(await s.next(ofType('event'))).toMatchObject({ channel: 'dashboard', event: 'run.started' });
  });
});

describe('the heartbeat', () => {
  // A server of its own that pings every second: a socket that does not answer is cut off within two
  // beats, and one that answers has a whole second to do so, however loaded the machine is.
  let beating: TestServer;
  let owner: Session;
  beforeAll(async () => {
    beating = await startTestServer({ env: { WS_HEARTBEAT_MS: '1000' } });
    owner = await registerOwner(beating, 'rt-beat');
  });
  afterAll(async () => {
    await beating?.close();
  });

  it('terminates a socket that stops answering pings, and keeps the ones that answer', async () => {
    const before = beating.domains.realtime.local().deadSocketsTerminated;
    const dead = await track(
      openSocket(beating, '/api/v1/ws', { token: owner.accessToken, autoPong: false }),
    );
    const live = await track(openAuthed(beating, owner.accessToken));
    let pings = 0;
    live.ws.on('ping', () => pings++);
    expect((await dead.closed).code).toBe(1006);
    // Polled, not read once: the client can see the connection drop before this worker's loop has
    // handled every timer of the server that shares it.
    await expect.poll(() => beating.domains.realtime.local().deadSocketsTerminated).toBeGreaterThan(before);
    expect(pings).toBeGreaterThanOrEqual(1);
    expect(live.ws.readyState).toBe(live.ws.OPEN);
  });
});

describe('hardening', () => {
  it('closes 1009 on a message over the size limit', async () => {
    const s = await track(openAuthed(server, a.accessToken));
    s.send({ type: 'ping', id: 'x'.repeat(3000) });
    expect((await s.closed).code).toBe(1009);
  });

  it('drops a slow consumer with 4008 instead of buffering without bound', async () => {
    const id = widgets.create(a.orgId);
    const slow = await track(openAuthed(server, a.accessToken));
    await subscribe(slow, `widgets:${id}`);
    slow.ws.pause();
    const before = server.domains.realtime.local().slowConsumersDropped;
    const blob = 'x'.repeat(32 * 1024);
    let seq = 0;
    while (server.domains.realtime.local().slowConsumersDropped === before && seq < 5_000) {
      for (let i = 0; i < 20; i++) await widgets.emit(id, a.orgId, ++seq, { blob }, false);
      await tick();
    }
    expect(server.domains.realtime.local().slowConsumersDropped).toBe(before + 1);
    slow.ws.resume();
    expect(await slow.closed).toEqual({
      code: 4008,
      reason: 'slow consumer: messages were not read in time',
    });
  });

  it('closes 4401 when the credential expires', async () => {
    const expiresAt = new Date(Date.now() + 2_000).toISOString();
    const key = await clientAs(server, a).POST('/api/v1/api-keys', {
      body: { name: 'short', scopes: ['members:read'], expiresAt },
    });
    const s = await track(openAuthed(server, key.data!.key));
    expect(await s.closed).toEqual({
      code: 4401,
      reason: 'token expired: authenticate again with a fresh token',
    });
  });

  it('closes a socket whose API key is revoked, as soon as it is revoked', async () => {
    const api = clientAs(server, a);
    const key = (await api.POST('/api/v1/api-keys', { body: { name: 'revoked', scopes: ['members:read'] } }))
      .data!;
    const s = await track(openAuthed(server, key.key));
    await api.DELETE('/api/v1/api-keys/{id}', { params: { path: { id: key.apiKey.id } } });
    expect(await s.closed).toEqual({ code: 4401, reason: 'the API key was revoked or has expired' });
  });
});

describe('connection caps', () => {
  let capped: TestServer;
  beforeAll(async () => {
    capped = await startTestServer({
      env: { WS_MAX_CONNECTIONS_PER_USER: '2', WS_MAX_CONNECTIONS_PER_ORG: '3' },
    });
  });
  afterAll(async () => {
    await capped?.close();
  });

  it('refuses a user past the per-user cap and an org past the per-org cap with 4429', async () => {
    const owner = await registerOwner(capped, 'cap');
    const member = await addMember(capped, owner, 'member');
    await track(openAuthed(capped, owner.accessToken));
    await track(openAuthed(capped, owner.accessToken));
    const third = await track(openSocket(capped, '/api/v1/ws', { token: owner.accessToken }));
    expect(await third.closed).toEqual({ code: 4429, reason: 'too many connections for this user (max 2)' });
    await track(openAuthed(capped, member.accessToken));
    const fourth = await track(openSocket(capped, '/api/v1/ws', { token: member.accessToken }));
    expect(await fourth.closed).toEqual({
      code: 4429,
      reason: 'too many connections for this organisation (max 3)',
    });
    // Another org is not affected.
    const other = await registerOwner(capped, 'cap-other');
    await track(openAuthed(capped, other.accessToken));
  });
});

describe('shutdown', () => {
  it('closes every socket with 1012 when the server stops', async () => {
    const s2 = await startTestServer();
    const owner = await registerOwner(s2, 'bye');
    const socket = await openAuthed(s2, owner.accessToken);
    await subscribe(socket, 'dashboard');
    await s2.close();
    expect(await socket.closed).toEqual({ code: 1012, reason: 'server is restarting; reconnect shortly' });
  });
});

const redisUrl = process.env.TEST_REDIS_URL;

describe.skipIf(!redisUrl)('across replicas, through Redis', () => {
  const env = () => ({
    REDIS_URL: redisUrl!,
    REDIS_PREFIX: `sbtest:${uniqueSuffix()}:`,
    DASHBOARD_INTERVAL_MS: '100',
  });
  let one: TestServer;
  let two: { url: string; domains: Domains; close(): Promise<void> };
  let owner: Session;
  let colleague: Session;

  beforeAll(async () => {
    const shared = env();
    one = await startTestServer({ env: shared });
    two = await startReplica(one, shared);
    owner = await registerOwner(one, 'replica');
    colleague = await addMember(one, owner, 'member');
  });
  afterAll(async () => {
    await two?.close();
    await one?.close();
  });

  /** Publishes on replica one until replica two's socket has it (the Redis subscription starts asynchronously). */
  async function publishUntilSeen(socket: TestSocket, publish: (marker: string) => Promise<void>) {
    const marker = `m-${uniqueSuffix()}`;
    for (let i = 0; i < 50; i++) {
      await publish(marker);
      try {
        return await socket.next((m) => JSON.stringify(m.data ?? null).includes(marker), 100);
      } catch {
        // not yet; publish again
      }
    }
    throw new Error('the event never crossed replicas');
  }

  it("delivers an org event published on one replica to the other replica's sockets", async () => {
    const s = await track(openAuthed(two, owner.accessToken));
    await subscribe(s, 'dashboard');
    const got = await publishUntilSeen(s, (marker) =>
      one.ctx.bus.publish({
        topic: `org:${owner.orgId}`,
        type: 'task.created',
        orgId: owner.orgId,
        data: { marker },
      }),
    );
    expect(got).toMatchObject({ type: 'event', channel: 'dashboard', event: 'task.created' });
  });

  it('sends a personal message to the user on every replica', async () => {
    const onOne = await track(openAuthed(one, colleague.accessToken));
    const onTwo = await track(openAuthed(two, colleague.accessToken));
    await publishUntilSeen(onTwo, (marker) =>
      one.domains.realtime.sendToUser(owner.orgId, colleague.userId, 'notice', { marker }),
    );
    expect(await onOne.next(ofType('event', { channel: 'personal' }))).toMatchObject({ event: 'notice' });
  });

  it('counts connected users and sockets across replicas', async () => {
    const onOne = await track(openAuthed(one, owner.accessToken));
    await track(openAuthed(two, colleague.accessToken));
    await subscribe(onOne, 'dashboard');
    await onOne.next(
      (m) => m.type === 'stats_update' && (m.data as { connectedUsers: number }).connectedUsers === 2,
    );
    const totals = await one.domains.realtime.totals();
    expect(totals.replicas).toBe(2);
    expect(totals.sockets).toBeGreaterThanOrEqual(2);
  });
});
