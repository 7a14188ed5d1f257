import { describe, expect, it } from 'vitest';
import { sameOriginTunnel } from './selfReport.ts';

describe('sameOriginTunnel', () => {
  const dsn = 'http://0123456789abcdef0123456789abcdef@127.0.0.1:8080/42';

  it('needs none when the DSN names the page’s own origin', () => {
    expect(sameOriginTunnel(dsn, 'http://127.0.0.1:8080')).toBeUndefined();
  });

  it('sends to the page’s origin with the key in the query when the DSN names another host', () => {
    expect(sameOriginTunnel(dsn, 'http://localhost:5173')).toBe(
      'http://localhost:5173/api/42/envelope/?sentry_key=0123456789abcdef0123456789abcdef&sentry_version=7',
    );
    // A public URL with a path: the project id is the DSN's last segment.
    expect(sameOriginTunnel('https://k@errors.example.com/sb/7', 'https://console.example.com')).toBe(
      'https://console.example.com/api/7/envelope/?sentry_key=k&sentry_version=7',
    );
  });

  it('gives up on a DSN it cannot read (the SDK then reports its own problem)', () => {
    expect(sameOriginTunnel('not a dsn', 'http://localhost')).toBeUndefined();
    expect(sameOriginTunnel('http://127.0.0.1:8080/42', 'http://localhost')).toBeUndefined();
  });
});
