import { EventEmitter } from 'node:events';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';

/**
 * A domain event on the bus. Topics name who may care:
 * - `org:<orgId>`: org-wide events (dashboard, inbox, usage, agents)
 * - `user:<userId>`: personal messages, to one user on all their sockets
 * - `run:<runId>`: a run's event log (carries `seq`)
 * - `conversation:<conversationId>`: a conversation's messages
 */
export interface BusEvent<T = unknown> {
  topic: string;
  type: string;
  orgId: string;
  data: T;
  /** Position in a replayable log (runs, conversations), when the topic has one. */
  seq?: number;
  at: string;
}

export type BusHandler = (event: BusEvent) => void;

export interface Bus {
  /** Publish after the change is committed; delivery is at most once per subscriber, so logs fill gaps. */
  publish(event: Omit<BusEvent, 'at'> & { at?: string }): Promise<void>;
  /** Subscribe to one topic; returns the unsubscribe function. */
  subscribe(topic: string, handler: BusHandler): () => void;
  /** Subscribe to every event (the realtime hub, metrics). */
  subscribeAll(handler: BusHandler): () => void;
  close(): Promise<void>;
}

const ALL = '*';

/**
 * Delivers events to this process's subscribers. A subscriber that throws is logged and the others
 * still get the event; the failure never reaches the publisher or the Redis client's socket handler.
 */
function localDispatcher(log: FastifyBaseLogger) {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0); // one listener per socket subscription; thousands are expected
  return {
    emit(event: BusEvent) {
      emitter.emit(event.topic, event);
      emitter.emit(ALL, event);
    },
    on(topic: string, handler: BusHandler) {
      const guarded = (event: BusEvent) => {
        try {
          handler(event);
        } catch (err) {
          log.error({ err, topic: event.topic, type: event.type }, 'bus: a subscriber failed');
        }
      };
      emitter.on(topic, guarded);
      return () => {
        emitter.off(topic, guarded);
      };
    },
  };
}

/** At most this many events go in one Redis message. */
const MAX_BATCH = 256;

/**
 * In-process bus; with Redis, every replica's events reach every replica through one pub/sub channel.
 * With Redis, local events are delivered when they come back from Redis, so each is delivered once.
 *
 * Events published in the same turn of the event loop travel together, as one Redis message holding
 * a JSON array: a finished run announces five or so at once, and each message is a write by us, a
 * fan-out by Redis and a read and parse by every replica (this one included).
 */
export function createBus(opts: {
  redisPublisher?: Redis;
  redisSubscriber?: Redis;
  prefix: string;
  log: FastifyBaseLogger;
}): Bus {
  const local = localDispatcher(opts.log);
  const channel = `${opts.prefix}bus`;
  const { redisPublisher: pub, redisSubscriber: sub } = opts;

  if (sub) {
    sub.subscribe(channel).catch((err: unknown) => opts.log.error({ err }, 'bus: Redis subscribe failed'));
    sub.on('message', (ch: string, message: string) => {
      if (ch !== channel) return;
      let events: BusEvent[];
      try {
        const parsed = JSON.parse(message) as BusEvent | BusEvent[];
        events = Array.isArray(parsed) ? parsed : [parsed];
      } catch (err) {
        opts.log.warn({ err }, 'bus: dropped a malformed message');
        return;
      }
      for (const event of events) local.emit(event);
    });
  }

  // Events waiting for this turn of the event loop to end, and the callers waiting for them.
  let pending: Array<{ event: BusEvent; done: () => void }> = [];

  async function send(batch: typeof pending): Promise<void> {
    const events = batch.map((p) => p.event);
    try {
      await pub!.publish(channel, JSON.stringify(events));
    } catch (err) {
      // Redis down: still serve this replica's own subscribers; replay from the logs covers the rest.
      opts.log.warn({ err }, 'bus: Redis publish failed; delivering locally');
      for (const event of events) local.emit(event);
    }
    for (const p of batch) p.done();
  }

  function flush(): void {
    const all = pending;
    pending = [];
    for (let i = 0; i < all.length; i += MAX_BATCH) void send(all.slice(i, i + MAX_BATCH));
  }

  return {
    async publish(input) {
      const event: BusEvent = { ...input, at: input.at ?? new Date().toISOString() };
      if (!pub) {
        local.emit(event);
        return;
      }
      return new Promise<void>((resolve) => {
        if (pending.length === 0) setImmediate(flush);
        pending.push({ event, done: resolve });
      });
    },
    subscribe: (topic, handler) => local.on(topic, handler),
    subscribeAll: (handler) => local.on(ALL, handler),
    async close() {
      if (pending.length) flush();
      if (sub) await sub.quit().catch(() => {});
    },
  };
}
