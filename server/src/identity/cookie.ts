import type { FastifyReply, FastifyRequest } from 'fastify';
import { CLIENT_HEADER, CONSOLE_CLIENT, REFRESH_COOKIE, REFRESH_COOKIE_PATH } from '../platform/csrf.ts';

/**
 * The console's refresh cookie, for the auth routes. `Secure` always: browsers accept such cookies on
 * https and on http://localhost and 127.0.0.1 (potentially trustworthy origins), never on other plain
 * http addresses, so the console must be served over HTTPS anywhere else.
 */
export function refreshCookie(refreshTtlSeconds: number) {
  const attributes = {
    path: REFRESH_COOKIE_PATH,
    httpOnly: true,
    secure: true,
    sameSite: 'strict' as const,
  };
  return {
    /** Whether the caller is the console (`X-Switchboard-Client: console`). */
    isConsole: (request: FastifyRequest) => request.headers[CLIENT_HEADER] === CONSOLE_CLIENT,
    /** The refresh token the browser sent as the cookie, if any. */
    read: (request: FastifyRequest): string | undefined => request.cookies[REFRESH_COOKIE] || undefined,
    /**
     * A token pair as answered: with `asCookie`, the refresh token is set as the cookie and left out of
     * the body, so no script of the page ever sees it.
     */
    answer<T extends { refreshToken?: string | undefined }>(reply: FastifyReply, pair: T, asCookie: boolean) {
      reply.header('cache-control', 'no-store');
      if (!asCookie || !pair.refreshToken) return pair;
      const { refreshToken, ...rest } = pair;
      reply.setCookie(REFRESH_COOKIE, refreshToken, { ...attributes, maxAge: refreshTtlSeconds });
      return rest;
    },
    clear(reply: FastifyReply): void {
      reply.clearCookie(REFRESH_COOKIE, attributes);
    },
  };
}
