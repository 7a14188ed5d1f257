import WebSocket from 'ws';

/** A server message as the test sees it. */
export interface WsMessage {
  type: string;
  [key: string]: unknown;
}

export interface Closed {
  code: number;
  reason: string;
}

export interface TestSocket {
  ws: WebSocket;
  /** Every message received, in order. */
  messages: WsMessage[];
  /** Resolves once the socket has closed, with the code and reason the client saw. */
  closed: Promise<Closed>;
  send(message: unknown): void;
  /**
   * The first message after the last one this returned that matches; waits for it if needed.
   * Fails after `timeoutMs` listing what did arrive.
   */
  next(match?: (m: WsMessage) => boolean, timeoutMs?: number): Promise<WsMessage>;
  /** How many received messages match. */
  count(match: (m: WsMessage) => boolean): number;
  close(): Promise<Closed>;
}

export const ofType =
  (type: string, extra: Record<string, unknown> = {}) =>
  (m: WsMessage) =>
    m.type === type && Object.entries(extra).every(([k, v]) => m[k] === v);

/** Opens a real WebSocket to the test server; resolves once the upgrade succeeded. */
export async function openSocket(
  server: { url: string },
  path = '/api/v1/ws',
  opts: { token?: string; protocols?: string[]; autoPong?: boolean } = {},
): Promise<TestSocket> {
  const url = `${server.url.replace(/^http/, 'ws')}${path}`;
  const protocols = opts.protocols ?? (opts.token ? ['bearer', opts.token] : []);
  const ws = new WebSocket(url, protocols, { autoPong: opts.autoPong ?? true });
  const messages: WsMessage[] = [];
  const waiters = new Set<() => void>();
  let cursor = 0;
  const closed = new Promise<Closed>((resolve) => {
    ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      for (const w of waiters) w();
    });
  });
  ws.on('message', (data) => {
    messages.push(JSON.parse(data.toString()) as WsMessage);
    for (const w of waiters) w();
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.on('error', () => {}); // a failure shows up as the close code

  return {
    ws,
    messages,
    closed,
    send: (message) => ws.send(typeof message === 'string' ? message : JSON.stringify(message)),
    next(match = () => true, timeoutMs = 25_000) {
      return new Promise<WsMessage>((resolve, reject) => {
        const check = () => {
          for (let i = cursor; i < messages.length; i++) {
            if (match(messages[i]!)) {
              cursor = i + 1;
              waiters.delete(check);
              clearTimeout(timer);
              resolve(messages[i]!);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(messages)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    count: (match) => messages.filter(match).length,
    async close() {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close();
      return closed;
    },
  };
}

/** Opens a socket, authenticates with the protocol header and waits for the acknowledgement. */
export async function openAuthed(
  server: { url: string },
  token: string,
  path = '/api/v1/ws',
): Promise<TestSocket> {
  const socket = await openSocket(server, path, { token });
  await socket.next(ofType('connection_ack'));
  return socket;
}

/** Sends a subscribe and waits for its answer (`subscribed` or `error`). */
export async function subscribe(socket: TestSocket, channel: string, extra: Record<string, unknown> = {}) {
  const id = `sub-${Math.random().toString(36).slice(2)}`;
  socket.send({ type: 'subscribe', channel, id, ...extra });
  return socket.next((m) => m.id === id);
}
