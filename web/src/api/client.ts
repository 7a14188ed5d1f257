import { createSwitchboardClient } from '@switchboard/client';
import { browserSessionDeps, SessionManager } from '../auth/session.ts';
import { errorFromAnswer } from './errors.ts';
import { createHttp } from './http.ts';

const baseUrl = window.location.origin;

/**
 * Resolves a typed client call to its data, or throws an ApiError carrying the server's code, message and
 * request id. `api.GET(...)` answers `{data, error, response}`; pages want either the data or an error.
 */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<NonNullable<T>> {
  const { data, error, response } = await call;
  if (error !== undefined || !response.ok) throw errorFromAnswer(error, response);
  return data as NonNullable<T>;
}

/**
 * Auth calls go out bare (a refresh must never trigger another refresh), saying they come from the
 * console: the server then keeps the refresh token in its HttpOnly cookie instead of the body.
 */
const CONSOLE = { 'X-Switchboard-Client': 'console' } as const;
const bare = createSwitchboardClient({
  baseUrl,
  fetch: createHttp({ retries: 0, headers: CONSOLE }),
});

const spendCookie = () => unwrap(bare.POST('/api/v1/auth/refresh', { body: {} }));

export const session = new SessionManager({
  ...browserSessionDeps(),
  refresh: spendCookie,
  logout: async (accessToken) => {
    const logout = (token: string) =>
      bare.POST('/api/v1/auth/logout', { body: null, headers: { Authorization: `Bearer ${token}` } });
    const first = accessToken ? await logout(accessToken) : undefined;
    if (first && first.response.status !== 401) return;
    // The access token had expired or was revoked: one from the cookie ends that session instead.
    const pair = await spendCookie();
    await logout(pair.accessToken);
  },
});
void session.restore();

/**
 * The console's only way to the server: the generated client over a fetch with the session's token,
 * timeouts, retries for GETs, one silent refresh on 401 and caller cancellation.
 */
export const api = createSwitchboardClient({
  baseUrl,
  fetch: createHttp({
    getToken: () => session.accessToken(),
    onUnauthorized: (failed) => session.refresh(failed),
  }),
});

/** The public part of the client (sign-in, register): no token, no refresh. */
export const publicApi = bare;
