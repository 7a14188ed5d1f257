import { ApiError } from './errors.ts';

/** How the console's fetch behaves; tests shorten the delays. */
export interface HttpOptions {
  /** The fetch to wrap (the browser's by default). */
  fetch?: typeof globalThis.fetch;
  /** Abort a request that has not answered within this many milliseconds. */
  timeoutMs?: number;
  /** Extra attempts for idempotent requests (GET, HEAD) after a network error, 429, 502, 504, or 503 with Retry-After. */
  retries?: number;
  /** First back-off delay; doubled each attempt, with jitter, capped at 8 s. */
  backoffMs?: number;
  /** Headers every request carries (the console's `X-Switchboard-Client` on auth calls). */
  headers?: Record<string, string>;
  /** The current access token, or undefined when signed out. */
  getToken?: () => string | undefined;
  /**
   * Called once when an authenticated request gets 401: returns a fresh access token (after a refresh)
   * or undefined when the session is over. The request is then sent again once.
   */
  onUnauthorized?: (failedToken: string) => Promise<string | undefined>;
  sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
}

const RETRY_STATUSES = new Set([429, 502, 504]);

/** 503 is often a deliberate answer (readiness says "not ready"); it is retried only when it says when. */
function transientStatus(response: Response): boolean {
  if (RETRY_STATUSES.has(response.status)) return true;
  return response.status === 503 && response.headers.has('retry-after');
}
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);

function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort() {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The delay before retry number `attempt` (0-based): server's Retry-After when given, else back-off. */
export function retryDelay(attempt: number, baseMs: number, retryAfter: string | null): number {
  const seconds = retryAfter ? Number(retryAfter) : Number.NaN;
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, 30_000);
  const exp = Math.min(baseMs * 2 ** attempt, 8_000);
  return exp / 2 + Math.random() * (exp / 2);
}

/**
 * Wraps fetch with what every console request needs: a bearer token, a timeout, retries with back-off
 * for idempotent requests, one silent refresh on 401, and caller cancellation (the request's own signal,
 * e.g. from TanStack Query when the user navigates away).
 */
export function createHttp(options: HttpOptions = {}): typeof globalThis.fetch {
  const baseFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const timeoutMs = options.timeoutMs ?? 15_000;
  const retries = options.retries ?? 2;
  const backoffMs = options.backoffMs ?? 300;
  const sleep = options.sleep ?? abortableSleep;

  async function attempt(request: Request, token: string | undefined): Promise<Response> {
    const sent = request.clone();
    for (const [name, value] of Object.entries(options.headers ?? {})) sent.headers.set(name, value);
    if (token) sent.headers.set('Authorization', `Bearer ${token}`);
    const timeout = AbortSignal.timeout(timeoutMs);
    const streaming = (request.headers.get('accept') ?? '').includes('text/event-stream');
    // A stream stays open for as long as it lasts; only its caller ends it.
    const signal = streaming ? request.signal : AbortSignal.any([request.signal, timeout]);
    try {
      return await baseFetch(new Request(sent, { signal }));
    } catch (err) {
      if (request.signal.aborted) throw request.signal.reason ?? err;
      if (timeout.aborted) {
        throw new ApiError(0, 'timeout', `No answer from the server within ${timeoutMs / 1000} s`);
      }
      throw new ApiError(0, 'network_error', err instanceof Error ? err.message : String(err));
    }
  }

  return async (input, init) => {
    const request = new Request(input, init);
    const retryable = IDEMPOTENT.has(request.method);
    let token = options.getToken?.();
    let refreshed = false;
    for (let n = 0; ; n++) {
      let response: Response | undefined;
      let failure: unknown;
      try {
        response = await attempt(request, token);
      } catch (err) {
        if (!(err instanceof ApiError)) throw err; // cancelled by the caller
        failure = err;
      }
      if (response?.status === 401 && token && !refreshed && options.onUnauthorized) {
        refreshed = true;
        const fresh = await options.onUnauthorized(token);
        if (fresh) {
          token = fresh;
          n--;
          continue;
        }
      }
      const transient = failure !== undefined || (response !== undefined && transientStatus(response));
      if (!retryable || !transient || n >= retries) {
        if (response) return response;
        throw failure;
      }
      await response?.body?.cancel().catch(() => {});
      await sleep(retryDelay(n, backoffMs, response?.headers.get('retry-after') ?? null), request.signal);
    }
  };
}
