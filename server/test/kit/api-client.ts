import { type components, createSwitchboardClient, type SwitchboardClient } from '@switchboard/client';

/** A response body of the API, named as in the OpenAPI document (`Schema<'Run'>`). */
export type Schema<Name extends keyof components['schemas']> = components['schemas'][Name];

/** The typed client acting as one caller: a session (its access token), an access token or an API key. */
export function clientAs(
  server: { url: string },
  caller: string | { accessToken: string },
): SwitchboardClient {
  const token = typeof caller === 'string' ? caller : caller.accessToken;
  return createSwitchboardClient({ baseUrl: server.url, getToken: () => token });
}

/** The typed client with no credentials, as an anonymous caller. */
export function anonymousClient(server: { url: string }): SwitchboardClient {
  return createSwitchboardClient({ baseUrl: server.url });
}

/** The error code of a failed answer, with its status, for exact assertions. */
export function failure(res: { response: Response; error?: unknown }) {
  const error = res.error as { error?: { code?: string; message?: string } } | undefined;
  return { status: res.response.status, code: error?.error?.code, message: error?.error?.message };
}

export interface RawAnswer<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * Plain HTTP with JSON in and out, for what the typed client cannot say on purpose: a body of the wrong
 * shape or type, a missing or odd header, a path outside the API document. Everything else goes through
 * `clientAs`.
 */
export async function rawRequest<T = Record<string, unknown>>(
  server: { url: string },
  method: string,
  path: string,
  opts: { token?: string | undefined; body?: unknown; headers?: Record<string, string> } = {},
): Promise<RawAnswer<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers,
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // non-JSON bodies (metrics, HTML) stay text
  }
  return { status: res.status, body: body as T, headers: res.headers };
}
