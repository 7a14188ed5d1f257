import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIUserAbortError,
  BadRequestError,
  InternalServerError,
} from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type MockOpenAI, startMockOpenAI } from '../../../test/kit/mock-openai.ts';
import { type CompletionsClientOptions, createCompletionsClient } from './completions-client.ts';

const ask = { model: 'mock-model', messages: [{ role: 'user' as const, content: 'hello there' }] };

function clientFor(baseURL: string, options: Partial<CompletionsClientOptions> = {}) {
  const official = new OpenAI({ apiKey: 'sk-test', baseURL, maxRetries: 2, timeout: 5_000 });
  return createCompletionsClient(official, {
    apiKey: 'sk-test',
    maxRetries: 2,
    timeoutMs: 5_000,
    ...options,
  });
}

/**
 * A bare HTTP server (HTTPS given a key and certificate) whose handler the test writes; counts
 * connections and requests.
 */
async function startRawServer(
  handle: (req: IncomingMessage, res: ServerResponse, n: number) => void,
  secure?: { key: string; cert: string },
) {
  const seen = { connections: 0, requests: 0, closed: 0 };
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    seen.requests++;
    req.on('close', () => {
      if (!res.writableEnded) seen.closed++;
    });
    req.resume();
    req.on('end', () => handle(req, res, seen.requests));
  };
  const server = secure ? createHttpsServer(secure, onRequest) : createServer(onRequest);
  server.on('connection', () => seen.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const scheme = secure ? 'https' : 'http';
  const url = `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { url, seen, close };
}

const okBody = (text: string) =>
  JSON.stringify({
    id: 'chatcmpl-raw',
    object: 'chat.completion',
    created: 0,
    model: 'mock-model',
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
  });

describe('the non-streaming completions client', () => {
  let mock: MockOpenAI;
  beforeAll(async () => {
    mock = await startMockOpenAI();
  });
  afterAll(() => mock.close());
  afterEach(() => {
    mock.requests.length = 0;
  });

  it('posts the request as OpenAI expects it and returns the parsed completion', async () => {
    const client = clientFor(mock.url);
    const completion = await client.chat.completions.create(ask, {
      headers: { 'User-Agent': 'Agents/Test' },
    });
    expect(completion.choices[0]?.message.content).toBe('Mock: hello there');
    expect(mock.requests).toHaveLength(1);
    const sent = mock.requests[0]!;
    expect(sent.body).toEqual(ask);
    expect(sent.headers.authorization).toBe('Bearer sk-test');
    expect(sent.headers['content-type']).toBe('application/json');
    expect(sent.headers['user-agent']).toBe('Agents/Test');
  });

  it('keeps the upstream request id off the JSON, as the official client does', async () => {
    const raw = await startRawServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_upstream_1' });
      res.end(okBody('hi'));
    });
    try {
      const completion = await clientFor(raw.url).chat.completions.create(ask);
      expect((completion as unknown as { _request_id: string })._request_id).toBe('req_upstream_1');
      expect(Object.keys(completion)).not.toContain('_request_id');
    } finally {
      await raw.close();
    }
  });

  it('retries a server error, waiting as the server asked', async () => {
    mock.enqueue({ error: { status: 500, message: 'boom', type: 'server_error', retryAfterMs: 5 } });
    const completion = await clientFor(mock.url).chat.completions.create(ask);
    expect(completion.choices[0]?.message.content).toBe('Mock: hello there');
    expect(mock.requests).toHaveLength(2);
  });

  it('gives up after the retries with the error class the official client throws', async () => {
    const failure = { status: 500, message: 'still down', type: 'server_error', retryAfterMs: 1 };
    mock.enqueue({ error: failure }, { error: failure }, { error: failure });
    const err = await clientFor(mock.url)
      .chat.completions.create(ask)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InternalServerError);
    expect(err).toMatchObject({ status: 500, message: '500 still down' });
    expect(mock.requests).toHaveLength(3);
  });

  it('does not retry a refused request, and a call can turn retries off', async () => {
    mock.enqueue({ error: { status: 400, message: 'bad tools', code: 'invalid_value' } });
    const refused = await clientFor(mock.url)
      .chat.completions.create(ask)
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BadRequestError);
    expect(refused).toMatchObject({ status: 400, code: 'invalid_value', message: '400 bad tools' });
    expect(mock.requests).toHaveLength(1);

    mock.enqueue({ error: { status: 503, message: 'busy', retryAfterMs: 1 } });
    const once = await clientFor(mock.url)
      .chat.completions.create(ask, { maxRetries: 0 })
      .catch((e: unknown) => e);
    expect(once).toBeInstanceOf(InternalServerError);
    expect(mock.requests).toHaveLength(2);
  });

  it('obeys x-should-retry either way', async () => {
    const raw = await startRawServer((_req, res, n) => {
      if (n === 1) res.writeHead(400, { 'content-type': 'application/json', 'x-should-retry': 'true' });
      else if (n === 2) res.writeHead(503, { 'content-type': 'application/json', 'x-should-retry': 'false' });
      res.end(JSON.stringify({ error: { message: `answer ${n}`, type: 'x' } }));
    });
    try {
      const err = await clientFor(raw.url)
        .chat.completions.create(ask)
        .catch((e: unknown) => e);
      // The 400 said "retry" (after the default back-off), the 503 said "do not".
      expect(err).toMatchObject({ status: 503, message: '503 answer 2' });
      expect(raw.seen.requests).toBe(2);
    } finally {
      await raw.close();
    }
  });

  it('times an attempt out, and a connection that cannot be made is a connection error', async () => {
    const silent = await startRawServer(() => {});
    try {
      const late = await clientFor(silent.url, { timeoutMs: 50, maxRetries: 0 })
        .chat.completions.create(ask)
        .catch((e: unknown) => e);
      expect(late).toBeInstanceOf(APIConnectionTimeoutError);
    } finally {
      await silent.close();
    }
    const nobody = await clientFor(silent.url, { maxRetries: 0 })
      .chat.completions.create(ask)
      .catch((e: unknown) => e);
    expect(nobody).toBeInstanceOf(APIConnectionError);
    expect(nobody).not.toBeInstanceOf(APIConnectionTimeoutError);
  });

  it('stops the upstream request when the caller aborts', async () => {
    const silent = await startRawServer(() => {});
    try {
      const controller = new AbortController();
      const pending = clientFor(silent.url)
        .chat.completions.create(ask, { signal: controller.signal })
        .catch((e: unknown) => e);
      await expect.poll(() => silent.seen.requests).toBe(1);
      controller.abort();
      expect(await pending).toBeInstanceOf(APIUserAbortError);
      await expect.poll(() => silent.seen.closed).toBe(1);
      expect(silent.seen.requests).toBe(1);
    } finally {
      await silent.close();
    }
  });

  it('sends again on a fresh connection when a kept-alive one was closed under it', async () => {
    // The second request arrives on the first connection, which the server then drops unanswered,
    // as a server does that closes an idle connection just as the client reuses it.
    const raw = await startRawServer((req, res, n) => {
      if (n === 2) {
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(okBody(`answer ${n}`));
    });
    try {
      const client = clientFor(raw.url, { maxRetries: 0 });
      await client.chat.completions.create(ask);
      const second = await client.chat.completions.create(ask);
      expect(second.choices[0]?.message.content).toBe('answer 3');
      expect(raw.seen.connections).toBe(2);
    } finally {
      await raw.close();
    }
  });

  it('goes through the proxy it is given', async () => {
    const proxy = await startRawServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(okBody(`proxied ${req.url}`));
    });
    try {
      const client = clientFor('http://model.invalid/v1', {
        proxyEnv: { HTTP_PROXY: new URL(proxy.url).origin },
      });
      const completion = await client.chat.completions.create(ask);
      expect(completion.choices[0]?.message.content).toBe('proxied http://model.invalid/v1/chat/completions');
    } finally {
      await proxy.close();
    }
  });

  it('leaves streaming calls to the official client', async () => {
    mock.enqueue({ text: 'one two three' });
    const stream = await clientFor(mock.url).chat.completions.create({ ...ask, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('one two three');
    expect(mock.requests[0]?.body.stream).toBe(true);
  });
});

/** A throwaway certificate for 127.0.0.1, made with the openssl command line. */
function selfSignedCertificate(): { key: string; cert: string } | undefined {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
        ...['-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
        ...['-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')],
      ],
      { stdio: 'ignore' },
    );
    return {
      key: readFileSync(path.join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(path.join(dir, 'cert.pem'), 'utf8'),
    };
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const certificate = selfSignedCertificate();

// OpenAI and Anthropic are reached over HTTPS: the same client, TLS and kept-alive connections.
describe.skipIf(!certificate)('the non-streaming completions client over HTTPS', () => {
  const defaultCAs = tls.getCACertificates('default');
  afterAll(() => tls.setDefaultCACertificates(defaultCAs));

  it('verifies the server and keeps its connection for the next call', async () => {
    tls.setDefaultCACertificates([...defaultCAs, certificate!.cert]);
    const server = await startRawServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(okBody(`secure ${req.headers.authorization}`));
    }, certificate);
    try {
      const client = clientFor(server.url);
      for (let i = 0; i < 2; i++) {
        const completion = await client.chat.completions.create(ask);
        expect(completion.choices[0]?.message.content).toBe('secure Bearer sk-test');
      }
      expect(server.seen.connections).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('refuses a server whose certificate it cannot verify', async () => {
    tls.setDefaultCACertificates(defaultCAs);
    const server = await startRawServer((_req, res) => res.end(okBody('should not get here')), certificate);
    try {
      const err = await clientFor(server.url, { maxRetries: 0 })
        .chat.completions.create(ask)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(APIConnectionError);
      expect(String((err as { cause?: unknown }).cause)).toMatch(/self.signed|certificate/i);
      expect(server.seen.requests).toBe(0);
    } finally {
      await server.close();
    }
  });
});
