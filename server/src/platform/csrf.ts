import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from './errors.ts';

/** The console's refresh cookie: `HttpOnly; Secure; SameSite=Strict`, sent only to the auth routes. */
export const REFRESH_COOKIE = 'sb_refresh';
export const REFRESH_COOKIE_PATH = '/api/v1/auth';
/**
 * `X-Switchboard-Client: console` on sign-in, registration and refresh asks for the refresh token as the
 * cookie instead of in the body. A custom header also cannot be sent cross-origin without a CORS preflight.
 */
export const CLIENT_HEADER = 'x-switchboard-client';
export const CONSOLE_CLIENT = 'console';

export const csrfRejected = (why: string) =>
  new AppError(
    403,
    'csrf_rejected',
    `this request uses the console's session cookie but ${why}; use the console itself or a bearer token`,
  );

/** The page origins a console request may come from: this server's own address as the browser sees it. */
function ownOrigins(request: FastifyRequest, publicUrl: string): string[] {
  const origins = [new URL(publicUrl).origin];
  if (request.host) origins.push(`${request.protocol}://${request.host}`);
  return origins;
}

/**
 * Why a cookie-carrying (or console) request is refused, or undefined when it is same-origin.
 * Fetch Metadata first (every current browser sends `Sec-Fetch-Site`, and only `same-origin` passes),
 * then `Origin` for browsers without it. A request with neither is not from a browser page, so it cannot
 * be a forged cross-site request: a browser always sends `Origin` on a cross-origin POST.
 */
export function crossSiteReason(request: FastifyRequest, publicUrl: string): string | undefined {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string') {
    return site === 'same-origin' ? undefined : `comes from another origin (Sec-Fetch-Site: ${site})`;
  }
  const origin = request.headers.origin;
  if (typeof origin === 'string' && !ownOrigins(request, publicUrl).includes(origin)) {
    return `comes from another origin (${origin.slice(0, 100)})`;
  }
  return undefined;
}

/**
 * CSRF defence for the one thing a browser sends by itself: the refresh cookie (and requests asking
 * for it). Every other route is authenticated by a bearer token a page must add explicitly, which a
 * forged request cannot do. SameSite=Strict already keeps the cookie off cross-site requests; this
 * also refuses same-site but cross-origin pages (another port or subdomain of the same site).
 */
export function installCsrfGuard(app: FastifyInstance, publicUrl: string): void {
  app.addHook('onRequest', async (request) => {
    const cookie = request.cookies[REFRESH_COOKIE];
    const console = request.headers[CLIENT_HEADER] === CONSOLE_CLIENT;
    if (cookie === undefined && !console) return;
    const reason = crossSiteReason(request, publicUrl);
    if (reason) throw csrfRejected(reason);
  });
}
