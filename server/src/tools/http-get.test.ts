import { describe, expect, it } from 'vitest';
import { hostAllowed, normaliseHostPattern } from './http-get.ts';

describe('normaliseHostPattern', () => {
  it.each([
    ['Example.COM', 'example.com'],
    [' api.example.com ', 'api.example.com'],
    ['*.Example.org', '*.example.org'],
    ['127.0.0.1', '127.0.0.1'],
    ['[::1]', '[::1]'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['bücher.example', 'xn--bcher-kva.example'],
  ])('%j -> %j', (entry, expected) => {
    expect(normaliseHostPattern(entry)).toBe(expected);
  });

  it.each([
    '',
    '*.',
    'https://example.com',
    'example.com/path',
    'example.com:8080',
    'user@example.com',
    '*',
    'a b',
    '::1',
  ])('refuses %j', (entry) => {
    expect(normaliseHostPattern(entry)).toBeUndefined();
  });
});

describe('hostAllowed', () => {
  const list = ['api.example.com', '*.example.org', '127.0.0.1'];
  it('matches exact hosts and sub-domains of wildcards only', () => {
    expect(hostAllowed('api.example.com', list)).toBe(true);
    expect(hostAllowed('API.example.com', list)).toBe(true);
    expect(hostAllowed('www.example.org', list)).toBe(true);
    expect(hostAllowed('a.b.example.org', list)).toBe(true);
    expect(hostAllowed('127.0.0.1', list)).toBe(true);
    expect(hostAllowed('example.org', list)).toBe(false);
    expect(hostAllowed('example.com', list)).toBe(false);
    expect(hostAllowed('evilexample.org', list)).toBe(false);
    expect(hostAllowed('api.example.com.evil.test', list)).toBe(false);
    expect(hostAllowed('localhost', list)).toBe(false);
    expect(hostAllowed('anything', [])).toBe(false);
  });
});
