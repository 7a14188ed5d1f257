import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { principalOf } from '../platform/auth.ts';
import { AppError, Errors } from '../platform/errors.ts';
import { openSse, type SseStream } from '../platform/sse.ts';
import { ChatErrors, clientGone, failureStatus, turnFailed } from './errors.ts';
import {
  checkRequest,
  chunk,
  completion,
  completionChunk,
  completionRequest,
  completionResponse,
  createContentJoiner,
  errorBody,
  modelList,
  openaiError,
  turnFromMessages,
  usageChunk,
} from './openai-format.ts';
import type { OpenAiService, StatelessTurnRequest } from './openai-service.ts';
import { disconnectSignal } from './routes.ts';
import type { ChatService } from './service.ts';
import type { StreamLimiter } from './stream-limiter.ts';

/** The status of a failed turn on this surface: a spent budget is OpenAI's 429 `insufficient_quota`. */
const openaiFailureStatus = (code: string) => (code === 'budget_exceeded' ? 429 : failureStatus(code));

const errors = { 400: openaiError, 401: openaiError, 403: openaiError, 404: openaiError, 429: openaiError };

/** Every failure of this surface in OpenAI's error shape, so OpenAI SDKs raise their usual errors. */
function openaiErrorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  let status = 500;
  let code = 'internal_error';
  let message = 'internal server error';
  let param: string | null = null;
  if (err instanceof AppError) {
    ({ status, code, message } = err);
    const details = err.details as { param?: unknown } | undefined;
    param = typeof details?.param === 'string' ? details.param : null;
    reply.headers(err.headers);
  } else if (hasZodFastifySchemaValidationErrors(err)) {
    const first = err.validation[0];
    param = first ? first.instancePath.slice(1).replaceAll('/', '.') || null : null;
    status = 400;
    code = 'validation_failed';
    message = first ? `${param ?? 'body'}: ${first.message ?? 'is invalid'}` : 'invalid request';
  } else if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    status = err.statusCode;
    code = err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ? 'invalid_json' : 'bad_request';
    message = err.message;
  } else {
    request.log.error({ err }, 'unexpected error');
  }
  if (status >= 500 && err instanceof AppError) request.log.error({ err }, message);
  void reply.status(status).send(errorBody(status, code, message, param));
}

/**
 * Streams a turn as `chat.completion.chunk` SSE lines, ending with `data: [DONE]`. The stream opens
 * (with `x-run-id`) once the turn's run exists.
 */
async function streamCompletion(
  openai: OpenAiService,
  request: FastifyRequest,
  reply: FastifyReply,
  turn: StatelessTurnRequest,
  model: string,
  includeUsage: boolean,
): Promise<void> {
  const p = principalOf(request);
  let stream: SseStream | undefined;
  let runId = '';
  let base = { id: '', created: 0, model };
  const joiner = createContentJoiner();
  const fail = (status: number, code: string, message: string) =>
    stream?.send({ data: errorBody(status, code, message, null) });
  try {
    const { shutdown } = await openai.streamTurn(p, turn, disconnectSignal(reply), {
      open(run) {
        runId = run.id;
        base = { id: `chatcmpl-${run.id}`, created: Math.floor(run.createdAt.getTime() / 1000), model };
        reply.header('x-run-id', run.id);
        stream = openSse(reply);
        stream.send({ data: chunk(base, { role: 'assistant', content: '' }) });
      },
      send(event) {
        if (event.type === 'message.delta') {
          const content = joiner.delta(event.text);
          if (content) stream?.send({ data: chunk(base, { content }) });
        } else if (event.type === 'message.completed') {
          joiner.completed(event.text);
        } else if (event.type === 'run.completed') {
          stream?.send({ data: chunk(base, {}, 'stop') });
          if (includeUsage) stream?.send({ data: usageChunk(base, event.usage) });
          stream?.send({ data: '[DONE]' });
        } else if (event.type === 'run.failed') {
          fail(openaiFailureStatus(event.code), event.code, event.message);
        }
      },
    });
    if (shutdown) fail(503, 'server_restarting', 'the server is restarting; send the request again');
  } catch (err) {
    // Before the stream opened, the error handler answers; after, the stream says it.
    if (!stream) throw err;
    request.log.error({ err, runId }, 'chat: completion stream failed');
    fail(500, 'stream_failed', 'the stream failed');
  } finally {
    stream?.close();
  }
}

/**
 * The OpenAI-compatible surface at the root (`/v1`), for any OpenAI client: agents are models (id =
 * slug), and a completion is a chat turn (a run with source `openai`) whose history the request
 * carries. Authenticated like the rest of the API (API key or access token as Bearer).
 */
export function openaiRoutes(deps: { openai: OpenAiService; chat: ChatService; limiter: StreamLimiter }) {
  const { openai, chat, limiter } = deps;
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    app.setErrorHandler(openaiErrorHandler);
    // Unknown /v1 paths answer in OpenAI's shape too (a route, not a not-found handler: the console's
    // static files claim every GET the router does not know).
    app.route({
      method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      url: '/*',
      config: { auth: 'public', idempotency: 'none' },
      schema: { hide: true },
      handler: async (request) => {
        throw Errors.routeNotFound(request.method, request.url);
      },
    });
    const tags = ['openai'];

    app.get(
      '/models',
      {
        config: { auth: { permission: 'agents:read' } },
        schema: {
          operationId: 'listModels',
          tags,
          summary: 'OpenAI-compatible: your agents as models (id = agent slug)',
          response: { 200: modelList, ...errors },
        },
      },
      async (request) => {
        const agents = await openai.listAgents(principalOf(request));
        return {
          object: 'list' as const,
          data: agents.map((a) => ({
            id: a.slug,
            object: 'model' as const,
            created: Math.floor(Date.parse(a.createdAt) / 1000),
            owned_by: 'switchboard',
          })),
        };
      },
    );

    app.post(
      '/chat/completions',
      {
        // OpenAI's clients send an Idempotency-Key on every call; like OpenAI, completions are not replayed.
        // Each completion is kept as a run (with who made it) and as usage; the audit log keeps changes.
        config: { auth: { permission: 'chat:write' }, idempotency: 'none', audit: false },
        schema: {
          operationId: 'createChatCompletion',
          tags,
          summary: 'OpenAI-compatible chat completion: one turn of the agent named by `model`',
          description:
            'Answers `chat.completion` JSON, or with `stream: true` `chat.completion.chunk` SSE lines and ' +
            '`data: [DONE]` (usage last with `stream_options.include_usage`). The reply is every assistant ' +
            'message of the turn, a blank line between them. Nothing is kept as a conversation; the run ' +
            '(`x-run-id`) is. A run waiting for approval keeps the request open until someone decides. ' +
            'Disconnecting cancels the run. Errors use OpenAI\'s shape: `{"error":{message,type,param,code}}`.',
          body: completionRequest,
          response: {
            200: {
              description: '`chat.completion` JSON, or SSE of `chat.completion.chunk` with `stream: true`',
              content: {
                'application/json': { schema: completionResponse },
                'text/event-stream': { schema: completionChunk },
              },
            },
            ...errors,
            409: openaiError,
            502: openaiError,
            503: openaiError,
            504: openaiError,
          },
        },
      },
      async (request, reply) => {
        const p = principalOf(request);
        const body = request.body;
        checkRequest(body);
        const { input, context } = turnFromMessages(body.messages);
        const agent = await chat.findAgent(p, body.model);
        if (!agent) throw ChatErrors.modelNotFound(body.model);
        // Stateless: the request carries the history; nothing is kept as a conversation.
        const turnRequest = {
          agentId: agent.id,
          agent,
          message: input,
          context,
          newConversation: false,
          detach: false,
          source: 'openai' as const,
        };
        if (body.stream !== true) {
          const done = await openai.complete(p, turnRequest, disconnectSignal(reply));
          if (done.status === 'gone') throw clientGone();
          if (done.status === 'interrupted') {
            throw ChatErrors.restarting();
          }
          if (done.status === 'failed') {
            const failed = turnFailed(done, { id: done.runId, conversationId: null });
            throw new AppError(openaiFailureStatus(done.code), failed.code, failed.message, failed.details);
          }
          reply.header('x-run-id', done.runId);
          const joiner = createContentJoiner();
          for (const text of done.texts) joiner.completed(text);
          return completion({
            id: `chatcmpl-${done.runId}`,
            created: Math.floor(done.createdAt.getTime() / 1000),
            model: agent.slug,
            content: joiner.text(),
            usage: done.usage,
          });
        }
        const release = limiter.acquire(p);
        try {
          const includeUsage = body.stream_options?.include_usage === true;
          await streamCompletion(openai, request, reply, turnRequest, agent.slug, includeUsage);
          return reply;
        } finally {
          release();
        }
      },
    );
  };
}
