import { describe, expect, it } from 'vitest';
import { culpritOf, defaultKey, fingerprintOf, groupingKey, maskFilename, maskMessage } from './grouping.ts';
import { normaliseEvent } from './normalise.ts';

const at = new Date('2030-01-01T00:00:00Z');
const event = (raw: Record<string, unknown>) => normaliseEvent(raw, at);
const thrown = (frames: Array<Record<string, unknown>>, type = 'TypeError', value = 'x') =>
  event({ exception: { values: [{ type, value, stacktrace: { frames } }] } });

describe('grouping keys', () => {
  it('mask numbers, hex ids and UUIDs in messages', () => {
    expect(
      maskMessage('user 42 missing 3f2a9c1d0b and 0xdeadbeef in 550e8400-e29b-41d4-a716-446655440000'),
    ).toBe('user <n> missing <hex> and <hex> in <uuid>');
    expect(maskMessage('a deadbeef word stays')).toBe('a deadbeef word stays');
  });

  it('strip build hashes and origins from file names', () => {
    expect(maskFilename('https://cdn.example/assets/main.3f9a2b1c.js?v=2')).toBe('/assets/main.js');
    expect(maskFilename('/srv/app/src/cart.ts')).toBe('/srv/app/src/cart.ts');
  });

  it('use in-app frames only, without line numbers', () => {
    const a = thrown([
      { module: 'lib', function: 'x', lineno: 1 },
      { module: 'app', function: 'pay', lineno: 10, in_app: true },
    ]);
    const b = thrown([
      { module: 'lib', function: 'y', lineno: 7 },
      { module: 'app', function: 'pay', lineno: 99, in_app: true },
    ]);
    expect(fingerprintOf(a)).toBe(fingerprintOf(b));
    expect(defaultKey(a)).toEqual(['exception', 'type:TypeError', 'app:pay']);
    expect(culpritOf(a)).toBe('pay (app)');
    expect(fingerprintOf(thrown([{ module: 'app', function: 'refund', in_app: true }]))).not.toBe(
      fingerprintOf(a),
    );
  });

  it('follow a fingerprint, {{ default }} standing for the default key', () => {
    const e = event({ message: 'order 12 failed', fingerprint: ['{{ default }}', 'eu'] });
    expect(groupingKey(e)).toEqual(['fingerprint', 'message', 'order <n> failed', 'eu']);
    expect(groupingKey(event({ message: 'a', fingerprint: ['x'] }))).toEqual(['fingerprint', 'x']);
  });
});

describe('normalising events', () => {
  it('reads the shapes SDKs send and bounds the rest', () => {
    const e = event({
      level: 'warn',
      timestamp: '2030-01-02T03:04:05Z',
      logentry: { message: 'hello %s', formatted: 'hello world' },
      tags: [
        ['a', 'b'],
        ['n', 1],
      ],
      breadcrumbs: { values: [{ timestamp: 1_900_000_000, message: 'clicked' }] },
      request: { url: 'https://x.test/a', headers: { Cookie: 'secret', Accept: 'json' } },
      user: { id: 7 },
      exception: [{ type: 'E', value: 'v' }],
    });
    expect(e).toMatchObject({
      level: 'warning',
      timestamp: '2030-01-02T03:04:05.000Z',
      message: 'hello world',
      tags: { a: 'b', n: '1' },
      title: 'E: v',
      user: { id: '7' },
      request: { headers: { Cookie: '[filtered]', Accept: 'json' } },
    });
    expect(e.breadcrumbs[0]).toMatchObject({ message: 'clicked', timestamp: '2030-03-17T17:46:40.000Z' });
    expect(event({ level: 42, timestamp: 'garbage' })).toMatchObject({
      level: 'error',
      timestamp: at.toISOString(),
    });
  });
});
