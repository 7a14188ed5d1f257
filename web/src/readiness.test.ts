import { describe, expect, it } from 'vitest';
import { readinessFrom } from './readiness.ts';

describe('readinessFrom', () => {
  it('lists each dependency of a ready server, sorted by name', () => {
    const readiness = readinessFrom({
      data: { status: 'ready', checks: { queue: { ok: true }, database: { ok: true } } },
    });
    expect(readiness).toEqual({
      ready: true,
      checks: [
        { name: 'database', ok: true },
        { name: 'queue', ok: true },
      ],
      message: undefined,
      requestId: undefined,
    });
  });

  it('reads the checks and the message out of a 503 envelope', () => {
    const readiness = readinessFrom({
      error: {
        error: {
          code: 'not_ready',
          message: 'not ready: database failed',
          requestId: 'req_abc',
          details: { checks: { database: { ok: false, error: 'database is closed' }, redis: { ok: true } } },
        },
      },
    });
    expect(readiness).toEqual({
      ready: false,
      checks: [
        { name: 'database', ok: false, error: 'database is closed' },
        { name: 'redis', ok: true },
      ],
      message: 'not ready: database failed',
      requestId: 'req_abc',
    });
  });

  it('ignores malformed details instead of showing made-up checks', () => {
    const readiness = readinessFrom({
      error: {
        error: {
          code: 'not_ready',
          message: 'not ready',
          requestId: 'req_1',
          details: { checks: { database: 'down', queue: { ok: 'no' } } },
        },
      },
    });
    expect(readiness.checks).toEqual([]);
    expect(readiness.ready).toBe(false);
  });

  it('refuses an answer with neither data nor error', () => {
    expect(() => readinessFrom({})).toThrow(
      'the server answered /health/ready with neither a status nor an error',
    );
  });
});
