import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { type BusEvent, createBus } from './bus.ts';

const log = { warn() {}, error() {} } as unknown as FastifyBaseLogger;
const event = (n: number) => ({ topic: 'org:o1', type: `e${n}`, orgId: 'o1', data: { n } });

/** Resolves once `handler` has been given `count` events. */
function collect(subscribe: (h: (e: BusEvent) => void) => void, count: number): Promise<BusEvent[]> {
  const got: BusEvent[] = [];
  return new Promise((resolve) =>
    subscribe((e) => {
      got.push(e);
      if (got.length === count) resolve([...got]);
    }),
  );
}

/** Publishes two events on `bus` with a subscriber that throws on the first; what the others got. */
async function withThrowingSubscriber(bus: ReturnType<typeof createBus>) {
  bus.subscribe('org:o1', (e) => {
    if (e.type === 'e1') throw new Error('subscriber bug');
  });
  const onTopic = collect((h) => bus.subscribe('org:o1', h), 2);
  const onAll = collect((h) => bus.subscribeAll(h), 2);
  await Promise.all([bus.publish(event(1)), bus.publish(event(2))]);
  return (await Promise.all([onTopic, onAll])).map((got) => got.map((e) => e.type));
}

/** A log that keeps the messages of its error lines. */
function errorLog() {
  const errors: string[] = [];
  const logger = {
    ...log,
    error: (_o: unknown, msg: string) => errors.push(msg),
  } as unknown as FastifyBaseLogger;
  return { errors, logger };
}

describe('bus, in process', () => {
  it('keeps delivering to the other subscribers when one throws, and logs it', async () => {
    const { errors, logger } = errorLog();
    const bus = createBus({ prefix: 'test:', log: logger });
    expect(await withThrowingSubscriber(bus)).toEqual([
      ['e1', 'e2'],
      ['e1', 'e2'],
    ]);
    expect(errors).toEqual(['bus: a subscriber failed']);
  });

  it('delivers to topic and catch-all subscribers at once', async () => {
    const bus = createBus({ prefix: 'test:', log });
    const topic: string[] = [];
    const all: string[] = [];
    bus.subscribe('org:o1', (e) => topic.push(e.type));
    bus.subscribeAll((e) => all.push(e.type));
    await bus.publish(event(1));
    expect(topic).toEqual(['e1']);
    expect(all).toEqual(['e1']);
  });
});

const redisUrl = process.env.TEST_REDIS_URL;
describe.skipIf(!redisUrl)('bus, across replicas through Redis', () => {
  const connections: Redis[] = [];
  const connect = () => {
    const redis = new Redis(redisUrl!);
    connections.push(redis);
    return redis;
  };
  const replica = (prefix: string) =>
    createBus({ prefix, log, redisPublisher: connect(), redisSubscriber: connect() });
  /** Waits until `count` connections listen on the bus channel (subscribing is asynchronous). */
  const listening = async (prefix: string, count: number) => {
    const admin = connect();
    for (;;) {
      const [, n] = (await admin.pubsub('NUMSUB', `${prefix}bus`)) as [string, number];
      if (n >= count) return;
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  afterAll(() => {
    for (const c of connections) c.disconnect();
  });

  it('sends what is published in one turn of the event loop as one message, in order, to every replica', async () => {
    const prefix = `sbtest:${randomBytes(4).toString('hex')}:`;
    const watcher = connect();
    const messages: string[] = [];
    await watcher.subscribe(`${prefix}bus`);
    // Resolves when the watcher has seen `count` messages (Redis delivers to it in publish order).
    const watched = (count: number) =>
      new Promise<void>((resolve) => {
        const check = () => messages.length >= count && resolve();
        watcher.on('message', check);
        check();
      });
    watcher.on('message', (_channel, message) => messages.push(message));
    const a = replica(prefix);
    const b = replica(prefix);
    await listening(prefix, 3);

    const onA = collect((h) => a.subscribeAll(h), 5);
    const onB = collect((h) => b.subscribe('org:o1', h), 5);
    await Promise.all([1, 2, 3, 4, 5].map((n) => a.publish(event(n))));
    await a.publish(event(6)); // a later turn: a message of its own

    for (const got of await Promise.all([onA, onB])) {
      expect(got.map((e) => e.type)).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
    }
    await watched(2);
    expect(messages.map((m) => (JSON.parse(m) as BusEvent[]).map((e) => e.type))).toEqual([
      ['e1', 'e2', 'e3', 'e4', 'e5'],
      ['e6'],
    ]);
    await Promise.all([a.close(), b.close()]);
  });

  it('still takes a message holding one event, as earlier versions send', async () => {
    const prefix = `sbtest:${randomBytes(4).toString('hex')}:`;
    const bus = replica(prefix);
    await listening(prefix, 1);
    const got = collect((h) => bus.subscribe('org:o1', h), 1);
    await connect().publish(`${prefix}bus`, JSON.stringify({ ...event(7), at: new Date().toISOString() }));
    expect((await got)[0]).toMatchObject({ type: 'e7', data: { n: 7 } });
    await bus.close();
  });

  it('keeps delivering when a subscriber throws on a message from Redis', async () => {
    const prefix = `sbtest:${randomBytes(4).toString('hex')}:`;
    const { errors, logger } = errorLog();
    const bus = createBus({ prefix, log: logger, redisPublisher: connect(), redisSubscriber: connect() });
    await listening(prefix, 1);
    expect(await withThrowingSubscriber(bus)).toEqual([
      ['e1', 'e2'],
      ['e1', 'e2'],
    ]);
    expect(errors).toEqual(['bus: a subscriber failed']);
    await bus.close();
  });

  it('delivers locally when Redis cannot take the message', async () => {
    const publisher = connect();
    const bus = createBus({
      prefix: 'sbtest:down:',
      log,
      redisPublisher: publisher,
      redisSubscriber: connect(),
    });
    publisher.disconnect(); // no reconnect: every publish now fails
    const got = collect((h) => bus.subscribe('org:o1', h), 2);
    await Promise.all([bus.publish(event(1)), bus.publish(event(2))]);
    expect((await got).map((e) => e.type)).toEqual(['e1', 'e2']);
    await bus.close();
  });
});
