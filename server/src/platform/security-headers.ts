import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * Helmet's response headers for these options, worked out once. @fastify/helmet runs helmet on
 * every request, which re-reads and re-validates its options each time (~50 µs a request, measured
 * on the chat benchmark); with static options the headers never change, so they are computed here
 * at start-up and set as they are. Options whose values depend on the request (CSP nonces,
 * directive functions) are refused rather than frozen.
 */
export function securityHeaders(options: HelmetOptions): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const collect = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  const request = new Proxy({} as IncomingMessage, {
    get() {
      throw new Error('securityHeaders: an option depends on the request; these headers cannot be fixed');
    },
  });
  helmet(options)(request, collect as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err;
  });
  return Object.freeze(headers);
}
