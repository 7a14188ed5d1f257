import type { components } from '@switchboard/client';

/**
 * The console's one WebSocket to `/api/v1/ws` (protocol: server/src/realtime/protocol.ts).
 *
 * It reconnects with exponential back-off and jitter, re-subscribes every channel after a reconnect
 * (channels with a log replay from the last `seq` seen, so nothing is missed or shown twice), queues
 * outgoing messages while offline and sends them once the server has acknowledged the connection, gets a
 * fresh token when the server closes with 4401, and tries again at once when the browser comes back online.
 */

/** What the server sends (protocol: the server's realtime/protocol.ts, through the generated client). */
export type ServerMessage =
  | components['schemas']['RealtimeServerMessage']
  | components['schemas']['RealtimeIntentAck'];

/** What the server sends on a channel. `seq` is the log position on channels with a log, else null. */
export type ChannelEvent = Omit<Extract<ServerMessage, { type: 'event' }>, 'type'>;

/** What the console sends: hub messages, and intents that start a chat turn. */
export type ClientMessage =
  | components['schemas']['RealtimeClientMessageInput']
  | components['schemas']['RealtimeIntentInput'];

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export interface RealtimeOptions {
  url: string;
  getToken: () => string | undefined;
  /** Asked after a 4401 close: a fresh token, or undefined when the session is over. */
  refreshToken: (failed: string) => Promise<string | undefined>;
  createSocket?: (url: string, protocols: string[]) => SocketLike;
  baseDelayMs?: number;
  maxDelayMs?: number;
  random?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
  /** Calls `listener` whenever the browser comes back online; answers a function that stops it. */
  onOnline?: (listener: () => void) => () => void;
}

interface ChannelState {
  handlers: Set<(event: ChannelEvent) => void>;
  /** Replay the log from this seq on (re)subscribe; undefined for channels without a log. */
  lastSeq: number | undefined;
}

type Outgoing = ClientMessage;

const OPEN = 1;
const MAX_QUEUE = 100;

/** The window's 'online' event; nothing where there is no window (tests, workers). */
function windowOnline(listener: () => void): () => void {
  if (typeof window === 'undefined') return () => {};
  window.addEventListener('online', listener);
  return () => window.removeEventListener('online', listener);
}

/** Back-off before reconnect attempt `attempt` (0-based): exponential, capped, with full jitter above half. */
export function reconnectDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const exp = Math.min(baseMs * 2 ** attempt, maxMs);
  return Math.round(exp / 2 + random() * (exp / 2));
}

export class RealtimeClient {
  private socket: SocketLike | undefined;
  private state: ConnectionState = 'closed';
  private acked = false;
  private attempt = 0;
  private timer: unknown;
  private stopped = true;
  private readonly channels = new Map<string, ChannelState>();
  private readonly queue: Outgoing[] = [];
  private readonly stateListeners = new Set<(state: ConnectionState) => void>();
  private readonly statsListeners = new Set<(data: Record<string, unknown>) => void>();
  private readonly errorListeners = new Set<(error: { code: string; message: string }) => void>();
  private tokenUsed: string | undefined;
  private stopListening: (() => void) | undefined;
  private readonly o: Required<Omit<RealtimeOptions, 'createSocket'>> & Pick<RealtimeOptions, 'createSocket'>;

  constructor(options: RealtimeOptions) {
    this.o = {
      baseDelayMs: 500,
      maxDelayMs: 15_000,
      random: Math.random,
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (t) => clearTimeout(t as number),
      onOnline: windowOnline,
      ...options,
    };
  }

  get connectionState(): ConnectionState {
    return this.state;
  }

  /** Messages waiting for a connection. */
  get pending(): number {
    return this.queue.length;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.stopListening = this.o.onOnline(() => this.reconnectNow());
    this.connect();
  }

  /** Closes for good (sign-out); subscriptions stay registered for a later start(). */
  stop(): void {
    this.stopped = true;
    this.stopListening?.();
    this.stopListening = undefined;
    this.o.clearTimer(this.timer);
    this.timer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    if (socket) {
      socket.onclose = null;
      socket.onmessage = null;
      // Closing a socket that is still connecting makes browsers log an error; close it once open.
      if (socket.readyState === 0) socket.onopen = () => socket.close(1000, 'closed by the console');
      else socket.close(1000, 'closed by the console');
    }
    this.setState('closed');
  }

  onState(listener: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  onStats(listener: (data: Record<string, unknown>) => void): () => void {
    this.statsListeners.add(listener);
    return () => this.statsListeners.delete(listener);
  }

  onError(listener: (error: { code: string; message: string }) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  /**
   * Listens on a channel. With `replayFrom` (e.g. 0 for a whole run log) the channel's log is replayed
   * from there, and after every reconnect from the last seq received.
   */
  subscribe(channel: string, handler: (event: ChannelEvent) => void, replayFrom?: number): () => void {
    let state = this.channels.get(channel);
    if (!state) {
      state = { handlers: new Set(), lastSeq: replayFrom };
      this.channels.set(channel, state);
      if (this.acked) this.sendSubscribe(channel, state);
    }
    state.handlers.add(handler);
    return () => {
      const current = this.channels.get(channel);
      if (!current) return;
      current.handlers.delete(handler);
      if (current.handlers.size > 0) return;
      this.channels.delete(channel);
      if (this.acked) this.rawSend({ type: 'unsubscribe', channel });
    };
  }

  /** Sends now when connected, else queues (oldest dropped beyond 100) until the next acknowledgement. */
  send(message: Outgoing): void {
    if (this.acked && this.socket?.readyState === OPEN) {
      this.rawSend(message);
      return;
    }
    this.queue.push(message);
    if (this.queue.length > MAX_QUEUE) this.queue.shift();
  }

  /** A fresh access token (after a refresh): the open connection re-authenticates without reconnecting. */
  updateToken(token: string): void {
    if (token === this.tokenUsed) return;
    this.tokenUsed = token;
    if (this.acked) this.rawSend({ type: 'auth', token });
  }

  private connect(): void {
    if (this.stopped) return;
    const token = this.o.getToken();
    if (!token) {
      this.setState('closed');
      return;
    }
    this.tokenUsed = token;
    this.acked = false;
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    const create =
      this.o.createSocket ??
      ((url: string, protocols: string[]) => new WebSocket(url, protocols) as SocketLike);
    let socket: SocketLike;
    try {
      socket = create(this.o.url, ['bearer', token]);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onmessage = (ev) => this.onMessage(ev.data);
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.acked = false;
      void this.onClose(ev.code, token);
    };
    socket.onerror = () => {};
  }

  private async onClose(code: number, token: string): Promise<void> {
    if (this.stopped) return;
    if (code === 4401) {
      let fresh: string | undefined;
      try {
        fresh = await this.o.refreshToken(token);
      } catch {
        fresh = token; // the refresh itself failed (offline?): back off and try again
      }
      if (!fresh) {
        this.stop();
        return;
      }
    }
    this.scheduleReconnect(code === 4429 ? 3 : 0);
  }

  private scheduleReconnect(extraSteps = 0): void {
    this.setState('reconnecting');
    const delay = reconnectDelay(
      this.attempt + extraSteps,
      this.o.baseDelayMs,
      this.o.maxDelayMs,
      this.o.random,
    );
    this.attempt++;
    this.o.clearTimer(this.timer);
    this.timer = this.o.setTimer(() => {
      this.timer = undefined;
      this.connect();
    }, delay);
  }

  /**
   * Back online: a reconnect waiting out its back-off (up to 15 s) goes now. The back-off itself is kept,
   * so should the server still be out of reach the next tries wait as they would have.
   */
  private reconnectNow(): void {
    if (this.stopped || this.timer === undefined) return;
    this.o.clearTimer(this.timer);
    this.timer = undefined;
    this.connect();
  }

  private onMessage(raw: unknown): void {
    if (typeof raw !== 'string') return;
    let message: ServerMessage;
    try {
      message = JSON.parse(raw) as ServerMessage;
    } catch {
      return;
    }
    switch (message.type) {
      case 'connection_ack':
        if (this.acked) return; // an answer to a re-auth
        this.acked = true;
        this.attempt = 0;
        for (const [channel, state] of this.channels) this.sendSubscribe(channel, state);
        for (const queued of this.queue.splice(0)) this.rawSend(queued);
        this.setState('open');
        return;
      case 'event':
        this.onEvent(message);
        return;
      case 'stats_update':
        for (const l of this.statsListeners) l(message.data ?? {});
        return;
      case 'error':
        for (const l of this.errorListeners) l({ code: message.code, message: message.message });
        return;
    }
  }

  private onEvent(event: ChannelEvent): void {
    const state = this.channels.get(event.channel);
    if (!state) return;
    if (typeof event.seq === 'number' && state.lastSeq !== undefined) {
      if (event.seq <= state.lastSeq) return; // already seen before a reconnect
      state.lastSeq = event.seq;
    }
    for (const handler of state.handlers) handler(event);
  }

  private sendSubscribe(channel: string, state: ChannelState): void {
    this.rawSend({
      type: 'subscribe',
      channel,
      ...(state.lastSeq !== undefined ? { afterSeq: state.lastSeq } : {}),
    });
  }

  private rawSend(message: Outgoing): void {
    if (this.socket?.readyState !== OPEN) {
      // Subscriptions and credentials are sent again from state on the next acknowledgement.
      if (!['subscribe', 'unsubscribe', 'auth'].includes(message.type)) this.queue.push(message);
      return;
    }
    this.socket.send(JSON.stringify(message));
  }

  private setState(state: ConnectionState): void {
    if (state === this.state) return;
    this.state = state;
    for (const l of this.stateListeners) l(state);
  }
}
