import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type OpenAI from 'openai';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';

/**
 * What the Agents SDK's chat-completions model uses of an `openai` client: its base URL and
 * `chat.completions.create`.
 */
export type CompletionsClient = Pick<OpenAI, 'baseURL'> & {
  chat: { completions: Pick<OpenAI['chat']['completions'], 'create'> };
};

export interface CompletionsClientOptions {
  apiKey: string;
  /** Per attempt, as the official client counts it. */
  timeoutMs: number;
  /** Retries after the first attempt unless a call says otherwise. */
  maxRetries: number;
  /**
   * HTTP_PROXY / HTTPS_PROXY / NO_PROXY to honour (config.proxyEnv: set when Node is told to use them,
   * as it then does for fetch and so for the official client's streaming calls).
   */
  proxyEnv?: Record<string, string> | undefined;
}

type CreateParams = Parameters<OpenAI['chat']['completions']['create']>[0];
interface CallOptions {
  headers?: Record<string, string | null | undefined> | undefined;
  signal?: AbortSignal | null | undefined;
  maxRetries?: number | undefined;
}

/** An answer read to its end: status, headers, body. */
interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const MAX_RETRY_AFTER_MS = 60_000;

/**
 * An `openai` client whose non-streaming chat completions go over node:http(s) with a keep-alive
 * pool of its own; streaming calls (and everything else) stay with the official client.
 *
 * Why: the official client builds each request through layers of option, header and auth handling
 * and sends it with fetch; together that cost ~0.5 ms of CPU per call here, a quarter of the budget
 * for the time Switchboard may add to a non-streaming completion (issue 4: p50 under 2 ms). What
 * callers see is kept: the same retry rule (`x-should-retry`, 408/409/429/5xx and connection
 * failures; `retry-after-ms`/`retry-after`, else 0.5 s doubling to 8 s with jitter), the same
 * error classes from `openai` (so the SDK's retry advice and our failure codes read them as before),
 * and `_request_id` on the result.
 */
export function createCompletionsClient(
  official: OpenAI,
  options: CompletionsClientOptions,
): CompletionsClient {
  const url = new URL(`${official.baseURL.replace(/\/+$/, '')}/chat/completions`);
  const secure = url.protocol === 'https:';
  const transport = secure ? https : http;
  // Node's agent honours the server's keep-alive timeout hint and keeps idle sockets for reuse.
  const agentOptions = { keepAlive: true, proxyEnv: options.proxyEnv };
  const agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);

  function send(payload: string, headers: Record<string, string>, signal: AbortSignal | undefined) {
    return new Promise<Answer>((resolve, reject) => {
      const req = transport.request(url, { method: 'POST', agent, headers, signal });
      // The whole attempt, answer included, as the official client times it.
      const deadline = setTimeout(() => req.destroy(new APIConnectionTimeoutError()), options.timeoutMs);
      req.on('close', () => clearTimeout(deadline));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        // A kept-alive socket the server closed as we picked it: one fresh attempt, not a retry.
        if (req.reusedSocket && err.code === 'ECONNRESET' && !signal?.aborted) {
          send(payload, headers, signal).then(resolve, reject);
        } else reject(err);
      });
      req.end(payload);
    });
  }

  async function complete(body: CreateParams, call: CallOptions = {}) {
    const payload = JSON.stringify(body);
    const headers: Record<string, string> = {
      accept: 'application/json',
      'content-type': 'application/json',
      authorization: `Bearer ${options.apiKey}`,
    };
    for (const [name, value] of Object.entries(call.headers ?? {})) {
      if (value === null || value === undefined) delete headers[name.toLowerCase()];
      else headers[name.toLowerCase()] = value;
    }
    headers['content-length'] = String(Buffer.byteLength(payload));
    const signal = call.signal ?? undefined;
    const maxRetries = call.maxRetries ?? options.maxRetries;

    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw new APIUserAbortError();
      let answer: Answer;
      try {
        answer = await send(payload, headers, signal);
      } catch (err) {
        if (signal?.aborted) throw new APIUserAbortError();
        if (attempt < maxRetries) {
          await wait(backoffMs(attempt), signal);
          continue;
        }
        if (err instanceof APIConnectionError) throw err;
        throw new APIConnectionError({ cause: err instanceof Error ? err : new Error(String(err)) });
      }
      if (answer.status >= 200 && answer.status < 300) return parseCompletion(answer);
      if (attempt < maxRetries && shouldRetry(answer)) {
        await wait(retryDelayMs(answer.headers, attempt), signal);
        continue;
      }
      const json = safeJson(answer.body);
      throw APIError.generate(
        answer.status,
        json as object | undefined,
        json === undefined ? answer.body : undefined,
        toHeaders(answer.headers),
      );
    }
  }

  const create = ((body: CreateParams, call?: CallOptions) =>
    body.stream
      ? official.chat.completions.create(body, call as Parameters<OpenAI['chat']['completions']['create']>[1])
      : complete(body, call)) as OpenAI['chat']['completions']['create'];

  return { baseURL: official.baseURL, chat: { completions: { create } } };
}

function parseCompletion(answer: Answer): unknown {
  const completion = safeJson(answer.body);
  if (typeof completion !== 'object' || completion === null) {
    throw new APIError(
      answer.status,
      undefined,
      `the model server answered ${answer.status} with a body that is not a JSON object`,
      toHeaders(answer.headers),
    );
  }
  // As the official client does: the upstream's request id, kept off the JSON.
  const requestId = answer.headers['x-request-id'];
  Object.defineProperty(completion, '_request_id', {
    value: typeof requestId === 'string' ? requestId : null,
    enumerable: false,
  });
  return completion;
}

/** The official client's rule, header first. */
function shouldRetry(answer: Answer): boolean {
  const told = answer.headers['x-should-retry'];
  if (told === 'true') return true;
  if (told === 'false') return false;
  return answer.status === 408 || answer.status === 409 || answer.status === 429 || answer.status >= 500;
}

/** What the server asked for (`retry-after-ms`, `retry-after` in seconds or a date), within a minute. */
function retryDelayMs(headers: http.IncomingHttpHeaders, attempt: number): number {
  let ms: number | undefined;
  const afterMs = Number.parseFloat(String(headers['retry-after-ms'] ?? ''));
  if (!Number.isNaN(afterMs)) ms = afterMs;
  const after = headers['retry-after'];
  if (ms === undefined && typeof after === 'string') {
    const seconds = Number.parseFloat(after);
    ms = Number.isNaN(seconds) ? Date.parse(after) - Date.now() : seconds * 1000;
  }
  if (ms === undefined || !Number.isFinite(ms) || ms < 0 || ms > MAX_RETRY_AFTER_MS)
    return backoffMs(attempt);
  return ms;
}

/** 0.5 s doubling per retry, at most 8 s, less up to a quarter of jitter. */
function backoffMs(attempt: number): number {
  return Math.min(0.5 * 2 ** attempt, 8) * (1 - Math.random() * 0.25) * 1000;
}

async function wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleep(ms, undefined, signal ? { signal } : undefined);
  } catch {
    throw new APIUserAbortError();
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function toHeaders(raw: http.IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}
