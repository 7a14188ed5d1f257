import { describe, expect, it } from 'vitest';
import { EnvelopeError, keyFromAuthHeader, normaliseEventId, parseDsn, parseEnvelope } from './envelope.ts';

const codeOf = (body: string | Buffer) => {
  try {
    parseEnvelope(Buffer.from(body));
    return 'ok';
  } catch (err) {
    return err instanceof EnvelopeError ? err.code : 'threw';
  }
};

describe('the envelope parser', () => {
  it('reads items with and without lengths, payloads holding newlines, and a missing final newline', () => {
    const attachment = 'a\nb\n';
    const body = `{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}\n{"type":"attachment","length":${attachment.length}}\n${attachment}\n{"type":"event"}\n{"message":"hi"}`;
    const env = parseEnvelope(Buffer.from(body));
    expect(env.header.event_id).toBe('9ec79c33ec9942ab8353589fcb2e04dc');
    expect(env.items).toEqual([
      { type: 'attachment' },
      { type: 'event', payload: { event: { message: 'hi' }, json: '{"message":"hi"}' } },
    ]);
  });

  it('counts lengths in bytes, not characters', () => {
    const payload = JSON.stringify({ message: 'héllo ✓' });
    const body = `{}\n{"type":"event","length":${Buffer.byteLength(payload)}}\n${payload}\n`;
    expect(parseEnvelope(Buffer.from(body)).items[0]?.payload).toEqual({
      event: { message: 'héllo ✓' },
      json: payload,
    });
  });

  it('refuses what is broken with a code of its own', () => {
    expect(codeOf('')).toBe('invalid_envelope');
    expect(codeOf('[]\n')).toBe('invalid_envelope');
    expect(codeOf('{}\n{"type":"event","length":50}\n{}')).toBe('truncated_envelope');
    expect(codeOf('{}\n{"type":"event","length":1}\n{}\n')).toBe('invalid_envelope');
    expect(codeOf('{}\n{"type":"event","length":2.5}\n{}\n')).toBe('invalid_envelope');
    expect(codeOf('{}\n{"type":"event"}\nnot json\n')).toBe('invalid_json');
    expect(codeOf('{}\n{"type":"mystery"}\n{}\n')).toBe('unknown_item_type');
    expect(codeOf(`{"a":"${'x'.repeat(20_000)}"}`)).toBe('header_too_large');
    expect(codeOf(`{}\n${'{"type":"session"}\n{}\n'.repeat(101)}`)).toBe('invalid_envelope');
  });

  it('reads keys from X-Sentry-Auth and DSNs, and event ids with or without dashes', () => {
    expect(keyFromAuthHeader('Sentry sentry_version=7, sentry_key=abc123, sentry_client=x/1')).toBe('abc123');
    expect(keyFromAuthHeader('Sentry sentry_key=k')).toBe('k');
    expect(keyFromAuthHeader('Bearer token')).toBeUndefined();
    expect(parseDsn('https://key@errors.example/sub/42')).toEqual({ key: 'key', projectId: '42' });
    expect(parseDsn('not a dsn')).toBeUndefined();
    expect(normaliseEventId('9EC79C33-EC99-42AB-8353-589FCB2E04DC')).toBe('9ec79c33ec9942ab8353589fcb2e04dc');
    expect(normaliseEventId('nope')).toBeUndefined();
  });
});
