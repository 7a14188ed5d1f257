import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A mock OpenAI-compatible server on real HTTP: `POST /v1/chat/completions` answers with OpenAI's
 * JSON (`chat.completion`) or, with `stream: true`, with `chat.completion.chunk` SSE events, tool
 * calls included, usage last, then `data: [DONE]`. `GET /v1/models` lists one model. Tests script
 * the replies and read back every request it got.
 */

export interface MockToolCall {
  name: string;
  arguments: string | Record<string, unknown>;
}

export interface MockReply {
  /** Assistant text; streamed one word per chunk. */
  text?: string;
  toolCalls?: MockToolCall[];
  usage?: { prompt_tokens: number; completion_tokens: number; cached_tokens?: number };
  /** Answer with this HTTP error instead (OpenAI's error JSON). */
  error?: {
    status: number;
    message: string;
    type?: string;
    code?: string;
    /** Sent as `retry-after-ms`, which OpenAI clients wait for before retrying (instead of their back-off). */
    retryAfterMs?: number;
  };
  /** Wait this long between streamed chunks. */
  chunkDelayMs?: number;
  /** Stream the first chunk, then never finish (until the client goes away). */
  hang?: boolean;
}

export interface ChatMessage {
  role: string;
  content?: unknown;
  tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }>;
  tool_call_id?: string;
}

export interface RecordedRequest {
  headers: IncomingMessage['headers'];
  body: {
    model: string;
    stream?: boolean;
    messages: ChatMessage[];
    tools?: Array<{ type: string; function: { name: string; description?: string; parameters?: unknown } }>;
    temperature?: number;
    max_tokens?: number;
    [key: string]: unknown;
  };
}

export interface MockOpenAI {
  /** Base URL including `/v1`, as OpenAI clients take it. */
  url: string;
  requests: RecordedRequest[];
  /** Requests whose client went away before the answer was complete. */
  disconnects: number;
  /** Replies for the next requests, in order; when none is queued the reply echoes the last user message. */
  enqueue(...replies: MockReply[]): void;
  close(): Promise<void>;
}

const words = (text: string) => text.match(/\s*\S+/g) ?? [];

function lastUserText(messages: ChatMessage[]): string {
  const last = messages.findLast((m) => m.role === 'user');
  if (!last) return '';
  if (typeof last.content === 'string') return last.content;
  if (Array.isArray(last.content)) {
    return last.content.map((p: { text?: unknown }) => (typeof p.text === 'string' ? p.text : '')).join('');
  }
  return '';
}

function toolCallsOf(reply: MockReply) {
  return (reply.toolCalls ?? []).map((call, index) => ({
    index,
    id: `call_${randomBytes(6).toString('hex')}`,
    type: 'function' as const,
    function: {
      name: call.name,
      arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
    },
  }));
}

function usageOf(reply: MockReply, request: RecordedRequest) {
  const prompt = reply.usage?.prompt_tokens ?? words(JSON.stringify(request.body.messages)).length;
  const completion = reply.usage?.completion_tokens ?? words(reply.text ?? '').length;
  const cached = reply.usage?.cached_tokens;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    // As OpenAI reports prompt caching: part of prompt_tokens.
    ...(cached === undefined ? {} : { prompt_tokens_details: { cached_tokens: cached } }),
  };
}

/** A request's body, parsed as JSON. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

export async function startMockOpenAI(): Promise<MockOpenAI> {
  const queue: MockReply[] = [];
  const requests: RecordedRequest[] = [];
  const state = { disconnects: 0 };

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'GET' && req.url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          object: 'list',
          data: [{ id: 'mock-model', object: 'model', created: 0, owned_by: 'mock' }],
        }),
      );
      return;
    }
    // Control routes for a mock in another process (the chat benchmark): script replies, forget requests.
    if (req.method === 'POST' && req.url === '/mock/enqueue') {
      queue.push(...((await readJson(req)) as MockReply[]));
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'POST' && req.url === '/mock/reset') {
      requests.length = 0;
      res.writeHead(204).end();
      return;
    }
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error' },
        }),
      );
      return;
    }
    const request: RecordedRequest = {
      headers: req.headers,
      body: (await readJson(req)) as RecordedRequest['body'],
    };
    requests.push(request);
    const reply = queue.shift() ?? { text: `Mock: ${lastUserText(request.body.messages)}` };
    let finished = false;
    res.on('close', () => {
      if (!finished) state.disconnects++;
    });

    if (reply.error) {
      res.writeHead(reply.error.status, {
        'content-type': 'application/json',
        ...(reply.error.retryAfterMs !== undefined
          ? { 'retry-after-ms': String(reply.error.retryAfterMs) }
          : {}),
      });
      res.end(
        JSON.stringify({
          error: {
            message: reply.error.message,
            type: reply.error.type ?? 'invalid_request_error',
            code: reply.error.code ?? null,
          },
        }),
      );
      finished = true;
      return;
    }

    const id = `chatcmpl-${randomBytes(8).toString('hex')}`;
    const created = Math.floor(Date.now() / 1000);
    const model = request.body.model;
    const toolCalls = toolCallsOf(reply);
    const finishReason = toolCalls.length ? 'tool_calls' : 'stop';
    const usage = usageOf(reply, request);

    if (!request.body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [
            {
              index: 0,
              message: {
                role: 'assistant',
                content: reply.text ?? null,
                refusal: null,
                ...(toolCalls.length ? { tool_calls: toolCalls.map(({ index: _i, ...call }) => call) } : {}),
              },
              logprobs: null,
              finish_reason: finishReason,
            },
          ],
          usage,
        }),
      );
      finished = true;
      return;
    }

    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    const send = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      res.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices, ...extra })}\n\n`,
      );
    const delta = (d: Record<string, unknown>, finish: string | null = null) =>
      send([{ index: 0, delta: d, logprobs: null, finish_reason: finish }]);

    delta({ role: 'assistant', content: '' });
    for (const word of words(reply.text ?? '')) {
      if (res.destroyed) return;
      if (reply.chunkDelayMs) await sleep(reply.chunkDelayMs);
      delta({ content: word });
      if (reply.hang) {
        // Hold the stream open until the client gives up.
        await new Promise<void>((resolve) => res.on('close', () => resolve()));
        return;
      }
    }
    for (const call of toolCalls) {
      // Name first, then the arguments in two fragments, as OpenAI streams them.
      const args = call.function.arguments;
      const cut = Math.ceil(args.length / 2);
      delta({
        tool_calls: [
          {
            index: call.index,
            id: call.id,
            type: 'function',
            function: { name: call.function.name, arguments: '' },
          },
        ],
      });
      delta({ tool_calls: [{ index: call.index, function: { arguments: args.slice(0, cut) } }] });
      delta({ tool_calls: [{ index: call.index, function: { arguments: args.slice(cut) } }] });
    }
    delta({}, finishReason);
    if ((request.body.stream_options as { include_usage?: boolean } | undefined)?.include_usage)
      send([], { usage });
    res.write('data: [DONE]\n\n');
    finished = true;
    res.end();
  }

  const server = createServer((req, res) => {
    answer(req, res).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: err.message, type: 'server_error' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    get disconnects() {
      return state.disconnects;
    },
    enqueue: (...replies) => queue.push(...replies),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
