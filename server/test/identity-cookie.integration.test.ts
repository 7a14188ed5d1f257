import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymousClient, failure } from './kit/api-client.ts';
import { startTestServer, type TestServer } from './kit/test-server.ts';
import { call, registerOwner, testPassword, uniqueEmail } from './kit/users.ts';

/**
 * The console's session: the refresh token as an HttpOnly cookie scoped to /api/v1/auth, set when the
 * console asks (`X-Switchboard-Client: console`), spent by a refresh without a body token, cleared by
 * sign-out; and the CSRF check every cookie-carrying request passes.
 */
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ env: { LOGIN_IP_MAX_FAILURES: '1000' } });
});
afterAll(async () => {
  await server?.close();
});

const CONSOLE = { 'x-switchboard-client': 'console' } as const;
/** What Chromium sends with a fetch from a page of the server's own origin. */
const sameOrigin = () => ({ 'sec-fetch-site': 'same-origin', origin: server.url });

/** The refresh cookie a response sets: its value and attributes, lower-cased names. */
function refreshCookieOf(
  headers: Headers,
): { value: string; attributes: Record<string, string> } | undefined {
  const line = headers.getSetCookie().find((c) => c.startsWith('sb_refresh='));
  if (!line) return undefined;
  const [pair, ...rest] = line.split(';').map((p) => p.trim());
  const attributes: Record<string, string> = {};
  for (const part of rest) {
    const [k, v] = part.split('=');
    attributes[k!.toLowerCase()] = v ?? '';
  }
  return { value: decodeURIComponent(pair!.slice('sb_refresh='.length)), attributes };
}

async function consoleLogin() {
  const owner = await registerOwner(server);
  const res = await anonymousClient(server).POST('/api/v1/auth/login', {
    body: { email: owner.email, password: owner.password },
    headers: { ...CONSOLE, ...sameOrigin() },
  });
  expect(res.response.status).toBe(200);
  const cookie = refreshCookieOf(res.response.headers);
  if (!cookie) throw new Error('no refresh cookie was set');
  return { owner, body: res.data!, cookie };
}

const refreshWithCookie = (value: string, headers: Record<string, string> = sameOrigin()) =>
  call<Record<string, unknown>>(server, 'POST', '/api/v1/auth/refresh', {
    headers: { cookie: `sb_refresh=${encodeURIComponent(value)}`, ...CONSOLE, ...headers },
  });

describe('the console refresh cookie', () => {
  it('signs in with the refresh token in an HttpOnly, Secure, SameSite=Strict cookie on /api/v1/auth, not in the body', async () => {
    const { body, cookie } = await consoleLogin();
    expect(body.refreshToken).toBeUndefined();
    expect(body.accessToken).toEqual(expect.any(String));
    expect(cookie.value).toMatch(/^rt_/);
    expect(cookie.attributes).toMatchObject({
      httponly: '',
      secure: '',
      samesite: 'Strict',
      path: '/api/v1/auth',
      'max-age': '2592000',
    });
  });

  it('registers a console user with the cookie too', async () => {
    const res = await anonymousClient(server).POST('/api/v1/auth/register', {
      body: { email: uniqueEmail(), password: testPassword(), name: 'Console' },
      headers: { ...CONSOLE, ...sameOrigin() },
    });
    expect(res.response.status).toBe(201);
    expect(res.data?.refreshToken).toBeUndefined();
    expect(refreshCookieOf(res.response.headers)?.value).toMatch(/^rt_/);
  });

  it('refreshes from the cookie alone, rotating it; the spent cookie is refused and cleared', async () => {
    const { cookie, owner } = await consoleLogin();
    const refreshed = await refreshWithCookie(cookie.value);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refreshToken).toBeUndefined();
    expect(refreshed.headers.get('cache-control')).toBe('no-store');
    const next = refreshCookieOf(refreshed.headers);
    expect(next?.value).toMatch(/^rt_/);
    expect(next?.value).not.toBe(cookie.value);
    const me = await call(server, 'GET', '/api/v1/auth/me', { token: refreshed.body.accessToken as string });
    expect(me.body).toMatchObject({ user: { id: owner.userId } });

    const reused = await refreshWithCookie(cookie.value);
    expect(reused.status).toBe(401);
    expect(reused.body).toMatchObject({ error: { code: 'refresh_token_reused' } });
    const cleared = refreshCookieOf(reused.headers);
    expect(cleared?.value).toBe('');
    expect(cleared?.attributes['max-age']).toBe('0');
    // Reuse revoked the whole family, the rotated cookie included.
    expect((await refreshWithCookie(next!.value)).status).toBe(401);
  });

  it('answers 401 invalid_refresh_token to a refresh with neither a body token nor a cookie', async () => {
    const res = await anonymousClient(server).POST('/api/v1/auth/refresh', { body: {} });
    expect(failure(res)).toMatchObject({ status: 401, code: 'invalid_refresh_token' });
  });

  it('signs out: the cookie is cleared and its session revoked', async () => {
    const { cookie, body } = await consoleLogin();
    const out = await call(server, 'POST', '/api/v1/auth/logout', {
      token: body.accessToken,
      headers: { cookie: `sb_refresh=${encodeURIComponent(cookie.value)}`, ...CONSOLE, ...sameOrigin() },
    });
    expect(out.status).toBe(204);
    const cleared = refreshCookieOf(out.headers);
    expect(cleared?.value).toBe('');
    expect(cleared?.attributes['max-age']).toBe('0');
    expect((await refreshWithCookie(cookie.value)).status).toBe(401);
  });

  it('keeps API clients on body tokens: no cookie without the console header', async () => {
    const owner = await registerOwner(server);
    const res = await anonymousClient(server).POST('/api/v1/auth/login', {
      body: { email: owner.email, password: owner.password },
    });
    expect(res.data?.refreshToken).toMatch(/^rt_/);
    expect(res.response.headers.getSetCookie()).toEqual([]);
    const refreshed = await anonymousClient(server).POST('/api/v1/auth/refresh', {
      body: { refreshToken: res.data!.refreshToken! },
    });
    expect(refreshed.data?.refreshToken).toMatch(/^rt_/);
    expect(refreshed.response.headers.getSetCookie()).toEqual([]);
  });
});

describe('CSRF', () => {
  it('refuses a cross-origin POST to the refresh route with the cookie: 403 csrf_rejected, cookie not spent', async () => {
    const { cookie } = await consoleLogin();
    const evil = await refreshWithCookie(cookie.value, {
      'sec-fetch-site': 'cross-site',
      origin: 'https://evil.example',
    });
    expect(evil.status).toBe(403);
    expect(evil.body).toEqual({
      error: {
        code: 'csrf_rejected',
        message:
          "this request uses the console's session cookie but comes from another origin (Sec-Fetch-Site: cross-site); use the console itself or a bearer token",
        requestId: expect.any(String),
      },
    });
    // A same-site page on another port or subdomain is another origin too.
    const sibling = await refreshWithCookie(cookie.value, { 'sec-fetch-site': 'same-site' });
    expect(sibling.status).toBe(403);
    // A browser without Fetch Metadata: its Origin decides.
    const oldBrowser = await refreshWithCookie(cookie.value, { origin: 'http://127.0.0.1:1' });
    expect(oldBrowser.status).toBe(403);
    expect(oldBrowser.body).toMatchObject({ error: { code: 'csrf_rejected' } });
    // Nothing was spent: the page of the server's own origin still refreshes with it.
    expect((await refreshWithCookie(cookie.value, { origin: server.url })).status).toBe(200);
  });

  it('refuses a console sign-in from another origin (login CSRF), and a cross-origin sign-out', async () => {
    const owner = await registerOwner(server);
    const login = await anonymousClient(server).POST('/api/v1/auth/login', {
      body: { email: owner.email, password: owner.password },
      headers: { ...CONSOLE, origin: 'https://evil.example' },
    });
    expect(failure(login)).toMatchObject({ status: 403, code: 'csrf_rejected' });
    expect(login.response.headers.getSetCookie()).toEqual([]);

    const { cookie, body } = await consoleLogin();
    const out = await call(server, 'POST', '/api/v1/auth/logout', {
      token: body.accessToken,
      headers: { cookie: `sb_refresh=${encodeURIComponent(cookie.value)}`, 'sec-fetch-site': 'cross-site' },
    });
    expect(out.status).toBe(403);
    expect((await refreshWithCookie(cookie.value)).status).toBe(200);
  });
});
