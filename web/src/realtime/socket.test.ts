import { describe, expect, it, vi } from 'vitest';
import { type ChannelEvent, RealtimeClient, reconnectDelay, type SocketLike } from './socket.ts';

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: Array<Record<string, unknown>> = [];
  closed: { code?: number; reason?: string } | undefined;
  onopen: SocketLike['onopen'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  readonly url: string;
  readonly protocols: string[];
  constructor(url: string, protocols: string[]) {
    this.url = url;
    this.protocols = protocols;
  }
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close(code?: number, reason?: string) {
    this.closed = { code, reason };
  }
  /** The server accepts: the socket opens and acknowledges. */
  ack() {
    this.readyState = 1;
    this.onopen?.({});
    this.deliver({ type: 'connection_ack', connectionId: 'c', expiresAt: null, heartbeatMs: 30000 });
  }
  deliver(message: Record<string, unknown>) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
}

function setup(overrides: { refreshToken?: (failed: string) => Promise<string | undefined> } = {}) {
  const sockets: FakeSocket[] = [];
  const timers: Array<{ fn: () => void; ms: number }> = [];
  let token = 'tok-1';
  const onlineListeners = new Set<() => void>();
  const client = new RealtimeClient({
    url: 'ws://x/api/v1/ws',
    getToken: () => token,
    refreshToken: overrides.refreshToken ?? (async () => token),
    createSocket: (url, protocols) => {
      const s = new FakeSocket(url, protocols);
      sockets.push(s);
      return s;
    },
    random: () => 0.5,
    setTimer: (fn, ms) => {
      const t = { fn, ms };
      timers.push(t);
      return t;
    },
    clearTimer: (t) => {
      const i = timers.indexOf(t as (typeof timers)[number]);
      if (i >= 0) timers.splice(i, 1);
    },
    onOnline: (listener) => {
      onlineListeners.add(listener);
      return () => onlineListeners.delete(listener);
    },
  });
  const fireTimer = () => {
    const t = timers.shift();
    if (!t) throw new Error('no timer pending');
    t.fn();
    return t.ms;
  };
  /** The browser's 'online' event. */
  const goOnline = () => {
    for (const listener of onlineListeners) listener();
  };
  return {
    client,
    sockets,
    timers,
    fireTimer,
    goOnline,
    onlineListeners,
    setToken: (t: string) => (token = t),
  };
}

const runEvent = (seq: number): Record<string, unknown> => ({
  type: 'event',
  channel: 'runs:run_1',
  seq,
  event: 'message.delta',
  data: { text: `w${seq}` },
  at: '2026-01-01T00:00:00Z',
});

describe('reconnectDelay', () => {
  it('doubles from the base up to the cap, between half and all of it', () => {
    expect(reconnectDelay(0, 500, 15000, () => 0)).toBe(250);
    expect(reconnectDelay(0, 500, 15000, () => 1)).toBe(500);
    expect(reconnectDelay(3, 500, 15000, () => 1)).toBe(4000);
    expect(reconnectDelay(10, 500, 15000, () => 1)).toBe(15000);
  });
});

describe('RealtimeClient', () => {
  it('authenticates with the bearer subprotocol and subscribes after the acknowledgement', () => {
    const { client, sockets } = setup();
    client.subscribe('dashboard', () => {});
    client.start();
    expect(sockets[0]!.protocols).toEqual(['bearer', 'tok-1']);
    expect(client.connectionState).toBe('connecting');
    sockets[0]!.ack();
    expect(client.connectionState).toBe('open');
    expect(sockets[0]!.sent).toEqual([{ type: 'subscribe', channel: 'dashboard' }]);
  });

  it('reconnects with growing back-off, and resets it after a successful connection', () => {
    const { client, sockets, fireTimer } = setup();
    const states: string[] = [];
    client.onState((s) => states.push(s));
    client.start();
    sockets[0]!.drop();
    expect(client.connectionState).toBe('reconnecting');
    expect(fireTimer()).toBe(375); // attempt 0: 250..500
    sockets[1]!.drop();
    expect(fireTimer()).toBe(750); // attempt 1
    sockets[2]!.ack();
    sockets[2]!.drop();
    expect(fireTimer()).toBe(375); // back to attempt 0
    expect(states).toEqual(['connecting', 'reconnecting', 'open', 'reconnecting']);
  });

  it('replays a run channel from the last seq seen after a reconnect, and drops repeats', () => {
    const { client, sockets, fireTimer } = setup();
    const seen: number[] = [];
    client.subscribe('runs:run_1', (e: ChannelEvent) => seen.push(e.seq!), 0);
    client.start();
    sockets[0]!.ack();
    expect(sockets[0]!.sent).toEqual([{ type: 'subscribe', channel: 'runs:run_1', afterSeq: 0 }]);
    sockets[0]!.deliver(runEvent(1));
    sockets[0]!.deliver(runEvent(2));
    sockets[0]!.drop();
    fireTimer();
    sockets[1]!.ack();
    expect(sockets[1]!.sent).toEqual([{ type: 'subscribe', channel: 'runs:run_1', afterSeq: 2 }]);
    sockets[1]!.deliver(runEvent(2)); // a repeat
    sockets[1]!.deliver(runEvent(3));
    expect(seen).toEqual([1, 2, 3]);
  });

  it('queues outgoing messages while offline and sends them, in order, once connected', () => {
    const { client, sockets, fireTimer } = setup();
    client.start();
    client.send({ type: 'ping', id: 'a' });
    client.send({ type: 'ping', id: 'b' });
    expect(client.pending).toBe(2);
    sockets[0]!.drop();
    fireTimer();
    sockets[1]!.ack();
    expect(sockets[1]!.sent).toEqual([
      { type: 'ping', id: 'a' },
      { type: 'ping', id: 'b' },
    ]);
    expect(client.pending).toBe(0);
  });

  it('gets a fresh token after a 4401 close and reconnects with it', async () => {
    const refresh = vi.fn(async () => 'tok-2');
    const { client, sockets, fireTimer, setToken } = setup({ refreshToken: refresh });
    client.start();
    sockets[0]!.ack();
    setToken('tok-2');
    sockets[0]!.drop(4401);
    await vi.waitFor(() => expect(refresh).toHaveBeenCalledWith('tok-1'));
    fireTimer();
    expect(sockets[1]!.protocols).toEqual(['bearer', 'tok-2']);
  });

  it('stops when the session is over (the refresh answers nothing)', async () => {
    const { client, sockets, timers } = setup({ refreshToken: async () => undefined });
    client.start();
    sockets[0]!.ack();
    sockets[0]!.drop(4401);
    await vi.waitFor(() => expect(client.connectionState).toBe('closed'));
    expect(timers).toEqual([]);
  });

  it('re-authenticates an open connection when the token is refreshed', () => {
    const { client, sockets } = setup();
    client.start();
    sockets[0]!.ack();
    client.updateToken('tok-9');
    expect(sockets[0]!.sent).toEqual([{ type: 'auth', token: 'tok-9' }]);
  });

  it('delivers stats updates and unsubscribes when the last handler leaves', () => {
    const { client, sockets } = setup();
    const stats: unknown[] = [];
    client.onStats((d) => stats.push(d));
    const off = client.subscribe('dashboard', () => {});
    client.start();
    sockets[0]!.ack();
    sockets[0]!.deliver({ type: 'stats_update', data: { connectedUsers: 1 }, at: 'now' });
    off();
    expect(stats).toEqual([{ connectedUsers: 1 }]);
    expect(sockets[0]!.sent.at(-1)).toEqual({ type: 'unsubscribe', channel: 'dashboard' });
  });

  it('reconnects at once when the browser comes back online, instead of waiting out the back-off', () => {
    const { client, sockets, timers, fireTimer, goOnline } = setup();
    client.start();
    sockets[0]!.drop();
    fireTimer();
    sockets[1]!.drop(); // offline: every try fails, and the back-off grows
    expect(timers.map((t) => t.ms)).toEqual([750]);
    goOnline();
    expect(sockets).toHaveLength(3);
    expect(timers).toEqual([]);
    expect(client.connectionState).toBe('reconnecting');
    sockets[2]!.ack();
    expect(client.connectionState).toBe('open');
  });

  it('keeps the back-off when the server is still out of reach after coming online', () => {
    const { client, sockets, fireTimer, goOnline } = setup();
    client.start();
    sockets[0]!.drop();
    goOnline();
    sockets[1]!.drop();
    expect(fireTimer()).toBe(750); // attempt 1, as without the online event
  });

  it('leaves a live or connecting socket alone when the browser comes online', () => {
    const { client, sockets, goOnline } = setup();
    client.start();
    goOnline(); // the first connection is still being made
    sockets[0]!.ack();
    goOnline();
    expect(sockets).toHaveLength(1);
    expect(client.connectionState).toBe('open');
  });

  it('does not reconnect on the online event once closed, and stops listening for it', () => {
    const { client, sockets, timers, goOnline, onlineListeners } = setup();
    client.start();
    sockets[0]!.drop();
    client.stop();
    goOnline();
    expect(sockets).toHaveLength(1);
    expect(timers).toEqual([]);
    expect(onlineListeners.size).toBe(0);
    client.start();
    expect(onlineListeners.size).toBe(1);
  });
});
