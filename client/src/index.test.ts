import { describe, expect, it } from 'vitest';
import { createSwitchboardClient } from './index.ts';

/** A fetch that records each request and answers with a fixed JSON body. */
function recordingFetch(status: number, body: unknown) {
  const requests: Request[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    requests.push(input instanceof Request ? input : new Request(input, init));
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  };
  return { requests, fetch };
}

describe('createSwitchboardClient', () => {
  it('calls the server at baseUrl and returns typed data', async () => {
    const { requests, fetch } = recordingFetch(200, { status: 'ok' });
    const api = createSwitchboardClient({ baseUrl: 'http://127.0.0.1:9/', fetch });
    const { data, error } = await api.GET('/health');
    expect(error).toBeUndefined();
    expect(data).toEqual({ status: 'ok' });
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET http://127.0.0.1:9/health']);
  });

  it('adds a bearer token when getToken returns one', async () => {
    const { requests, fetch } = recordingFetch(200, { status: 'ok' });
    let token: string | undefined = 'tok_123';
    const api = createSwitchboardClient({
      baseUrl: 'http://127.0.0.1:9',
      fetch,
      getToken: async () => token,
    });
    await api.GET('/health');
    token = undefined;
    await api.GET('/health');
    expect(requests.map((r) => r.headers.get('authorization'))).toEqual(['Bearer tok_123', null]);
  });

  it('sends no Authorization header without getToken', async () => {
    const { requests, fetch } = recordingFetch(200, { status: 'ok' });
    await createSwitchboardClient({ baseUrl: 'http://127.0.0.1:9', fetch }).GET('/health');
    expect(requests[0]?.headers.has('authorization')).toBe(false);
  });

  it('returns the error envelope of a failed request as `error`', async () => {
    const envelope = {
      error: { code: 'not_ready', message: 'not ready: database failed', requestId: 'req_1' },
    };
    const { fetch } = recordingFetch(503, envelope);
    const { data, error, response } = await createSwitchboardClient({
      baseUrl: 'http://127.0.0.1:9',
      fetch,
    }).GET('/health/ready');
    expect(data).toBeUndefined();
    expect(response.status).toBe(503);
    expect(error).toEqual(envelope);
  });
});
