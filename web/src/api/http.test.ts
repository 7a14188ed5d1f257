import { describe, expect, it, vi } from 'vitest';
import { ApiError, describeError, errorFromAnswer } from './errors.ts';
import { createHttp, retryDelay } from './http.ts';

const noSleep = async () => {};

function answers(...statuses: Array<number | Error>) {
  const seen: Request[] = [];
  const fetch = vi.fn(async (input: RequestInfo | URL) => {
    seen.push(input as Request);
    const next = statuses.shift() ?? 200;
    if (next instanceof Error) throw next;
    return new Response(next === 204 ? null : '{}', { status: next });
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, seen, calls: fetch };
}

describe('createHttp', () => {
  it('retries a GET after 502 and a network error, then answers', async () => {
    const a = answers(502, new TypeError('failed to fetch'), 200);
    const http = createHttp({ fetch: a.fetch, sleep: noSleep });
    const res = await http('http://x/api/v1/agents');
    expect(res.status).toBe(200);
    expect(a.calls).toHaveBeenCalledTimes(3);
  });

  it('takes a 503 without Retry-After as the answer (readiness says "not ready" that way)', async () => {
    const a = answers(503);
    const http = createHttp({ fetch: a.fetch, sleep: noSleep });
    expect((await http('http://x/health/ready')).status).toBe(503);
    expect(a.calls).toHaveBeenCalledTimes(1);
  });

  it('never retries a POST', async () => {
    const a = answers(503);
    const http = createHttp({ fetch: a.fetch, sleep: noSleep });
    const res = await http('http://x/api/v1/runs', { method: 'POST', body: '{}' });
    expect(res.status).toBe(503);
    expect(a.calls).toHaveBeenCalledTimes(1);
  });

  it('turns a network failure into a readable ApiError after the retries', async () => {
    const a = answers(new TypeError('x'), new TypeError('x'), new TypeError('x'));
    const http = createHttp({ fetch: a.fetch, sleep: noSleep });
    await expect(http('http://x/a')).rejects.toMatchObject({ code: 'network_error', status: 0 });
  });

  it('sends the bearer token, and on 401 refreshes once and sends the request again', async () => {
    const a = answers(401, 200);
    let token = 'old';
    const onUnauthorized = vi.fn(async () => {
      token = 'new';
      return token;
    });
    const http = createHttp({ fetch: a.fetch, getToken: () => token, onUnauthorized, sleep: noSleep });
    const res = await http('http://x/api/v1/runs', { method: 'POST', body: '{"a":1}' });
    expect(res.status).toBe(200);
    expect(onUnauthorized).toHaveBeenCalledWith('old');
    expect(a.seen.map((r) => r.headers.get('authorization'))).toEqual(['Bearer old', 'Bearer new']);
    expect(await a.seen[1]!.text()).toBe('{"a":1}');
  });

  it('gives up on a 401 when the session is over', async () => {
    const a = answers(401);
    const http = createHttp({ fetch: a.fetch, getToken: () => 't', onUnauthorized: async () => undefined });
    expect((await http('http://x/a')).status).toBe(401);
  });

  it('stops when the caller aborts (navigation), without retrying', async () => {
    const controller = new AbortController();
    const fetch = vi.fn(
      (input: RequestInfo | URL) =>
        new Promise<Response>((_, reject) => {
          (input as Request).signal.addEventListener('abort', () =>
            reject(new DOMException('aborted', 'AbortError')),
          );
        }),
    );
    const http = createHttp({ fetch: fetch as unknown as typeof globalThis.fetch, sleep: noSleep });
    const pending = http('http://x/a', { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toBeDefined();
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('times out a request that does not answer', async () => {
    const fetch = vi.fn(
      (input: RequestInfo | URL) =>
        new Promise<Response>((_, reject) => {
          (input as Request).signal.addEventListener('abort', () =>
            reject(new DOMException('t', 'TimeoutError')),
          );
        }),
    );
    const http = createHttp({
      fetch: fetch as unknown as typeof globalThis.fetch,
      timeoutMs: 20,
      retries: 0,
    });
    await expect(http('http://x/a')).rejects.toMatchObject({ code: 'timeout' });
  });
});

describe('retryDelay', () => {
  it('follows Retry-After, else backs off exponentially', () => {
    expect(retryDelay(0, 300, '2')).toBe(2000);
    const d = retryDelay(2, 300, null);
    expect(d).toBeGreaterThanOrEqual(600);
    expect(d).toBeLessThanOrEqual(1200);
  });
});

describe('errors', () => {
  it('reads the envelope: code, message and request id', () => {
    const res = new Response('', { status: 404, headers: { 'x-request-id': 'req_h' } });
    const err = errorFromAnswer(
      { error: { code: 'not_found', message: 'agent agt_1 was not found', requestId: 'req_9' } },
      res,
    );
    expect(err).toMatchObject({ status: 404, code: 'not_found', requestId: 'req_9' });
    expect(describeError(err)).toEqual({
      message: 'Agent agt_1 was not found',
      code: 'not_found',
      requestId: 'req_9',
    });
  });

  it('falls back to the status and the x-request-id header without an envelope', () => {
    const res = new Response('', {
      status: 502,
      statusText: 'Bad Gateway',
      headers: { 'x-request-id': 'req_h' },
    });
    const err = errorFromAnswer('upstream down', res);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.message).toBe('the server answered 502 (upstream down)');
    expect(err.requestId).toBe('req_h');
  });
});
