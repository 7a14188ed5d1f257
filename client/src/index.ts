import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema.d.ts';

export type { components, paths };

/** The typed Switchboard API client: every path, body and response comes from the server's OpenAPI document. */
export type SwitchboardClient = Client<paths>;

/** The error envelope every failing response carries. */
export type ErrorEnvelope = components['schemas']['ErrorEnvelope'];

export interface SwitchboardClientOptions {
  /** Where the server is, e.g. `http://127.0.0.1:8080`; empty for the page's own origin. */
  baseUrl: string;
  /** Returns the current access token or API key; requests go without `Authorization` when it returns nothing. */
  getToken?: () => string | undefined | null | Promise<string | undefined | null>;
  /** A fetch implementation (tests, other runtimes); the global one by default. */
  fetch?: typeof globalThis.fetch;
}

/** Adds `Authorization: Bearer <token>` to each request whose caller has a token. */
export function bearerAuth(getToken: NonNullable<SwitchboardClientOptions['getToken']>): Middleware {
  return {
    async onRequest({ request }) {
      const token = await getToken();
      if (token) request.headers.set('Authorization', `Bearer ${token}`);
      return request;
    },
  };
}

/** Creates a client for one server. The web console, tests and scripts reach the server only through this. */
export function createSwitchboardClient(options: SwitchboardClientOptions): SwitchboardClient {
  const client = createClient<paths>({
    baseUrl: options.baseUrl,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  if (options.getToken) client.use(bearerAuth(options.getToken));
  return client;
}
