import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { executionEventSchema, type LoggedEvent } from '../execution/events.ts';
import { principalOf } from '../platform/auth.ts';
import { errorEnvelopeSchema } from '../platform/errors.ts';
import { errorResponses, idempotencyHeaders } from '../platform/http.ts';
import { openSse, resumeSeq } from '../platform/sse.ts';
import { clientGone, turnFailed, turnInterrupted } from './errors.ts';
import { chatBody, chatResponse } from './schema.ts';
import { type ChatService, RESUME_GRACE_MS, type StartedTurn } from './service.ts';
import type { StreamLimiter } from './stream-limiter.ts';

/** An EventSource waits this long before reconnecting; well inside the run's grace. */
const RETRY_MS = 1_000;

const streamResponse = {
  description:
    'text/event-stream: one event per chat event, `event:` its type, `id:` its sequence number in the ' +
    "run's log, `data:` the event as JSON. The first is `run.queued`, naming the run; the last is " +
    '`run.completed` or `run.failed`.',
  content: { 'text/event-stream': { schema: executionEventSchema } },
};

const runHeaders = (turn: StartedTurn) => ({
  'x-run-id': turn.run.id,
  ...(turn.run.conversationId ? { 'x-conversation-id': turn.run.conversationId } : {}),
});

/** Aborts when the client goes away before its answer was sent. */
export function disconnectSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** Streams a turn as SSE until the run ends, the client leaves or the server shuts down. */
async function sendStream(
  chat: ChatService,
  request: FastifyRequest,
  reply: FastifyReply,
  turn: StartedTurn,
  opts: { afterSeq: number; resumed: boolean },
): Promise<void> {
  const p = principalOf(request);
  reply.headers(runHeaders(turn));
  const stream = openSse(reply);
  reply.raw.write(`retry: ${RETRY_MS}\n\n`);
  const send = (e: LoggedEvent) => stream.send({ id: e.seq, event: e.event.type, data: e.event });
  try {
    const { shutdown } = await chat.stream(p, turn, { ...opts, send, signal: stream.signal });
    if (shutdown) {
      const message = `the server is restarting; resume with GET /api/v1/chat/stream/${turn.run.id} and Last-Event-ID`;
      stream.send({ event: 'error', data: { type: 'error', code: 'server_restarting', message } });
    }
  } catch (err) {
    request.log.error({ err, runId: turn.run.id }, 'chat: stream failed');
    const message = `the stream failed; resume with GET /api/v1/chat/stream/${turn.run.id} and Last-Event-ID`;
    stream.send({ event: 'error', data: { type: 'error', code: 'stream_failed', message } });
  } finally {
    stream.close();
  }
}

/** `POST /chat`, `POST /chat/stream` and `GET /chat/stream/{id}`: chat turns, all of them runs. */
export function chatRoutes(deps: { chat: ChatService; limiter: StreamLimiter }) {
  const { chat, limiter } = deps;
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    const tags = ['chat'];

    app.post(
      '/chat',
      {
        // A repeat with the same Idempotency-Key waits for (or answers) the turn the first one started.
        config: { auth: { permission: 'chat:write' }, idempotency: 'route' },
        schema: {
          operationId: 'chat',
          tags,
          summary: 'Send a message and wait for the reply',
          description:
            'Runs one chat turn (a run with source `chat`) and answers when it is done. A run that pauses ' +
            'for approval answers 202 with the inbox item; a run that fails answers with its error ' +
            '(`model_error` 502, `run_timeout` 504, `budget_exceeded` 402 naming the budget, ...) and ' +
            '`details.runId` / `details.conversationId`; ' +
            'the conversation keeps what was said either way. Disconnecting cancels the run unless `detach`.',
          headers: idempotencyHeaders,
          body: chatBody,
          response: {
            200: chatResponse,
            202: chatResponse,
            ...errorResponses,
            402: errorEnvelopeSchema,
            502: errorEnvelopeSchema,
            503: errorEnvelopeSchema,
            504: errorEnvelopeSchema,
          },
        },
      },
      async (request, reply) => {
        const p = principalOf(request);
        const body = request.body;
        const turn = await chat.start(p, {
          ...body,
          newConversation: true,
          source: 'chat',
          idempotencyKey: request.headers['idempotency-key'],
        });
        reply.headers(runHeaders(turn));
        const outcome = await chat.wait(p, turn, disconnectSignal(reply));
        if (outcome.status === 'gone') throw clientGone();
        if (outcome.status === 'interrupted') throw turnInterrupted(turn.run);
        if (outcome.status === 'failed') throw turnFailed(outcome, turn.run);
        const conversationId = turn.run.conversationId ?? '';
        const events = body.includeEvents ? { events: outcome.events } : {};
        if (outcome.status === 'waiting_approval') {
          const { inboxItemId, name, arguments: args, callId } = outcome.approval;
          return reply.status(202).send({
            runId: turn.run.id,
            conversationId,
            agentId: outcome.agentId,
            status: outcome.status,
            reply: null,
            usage: null,
            approval: { inboxItemId, name, arguments: args, callId },
            ...events,
          });
        }
        return {
          runId: turn.run.id,
          conversationId,
          agentId: outcome.agentId,
          status: outcome.status,
          reply: outcome.output,
          usage: outcome.usage,
          approval: null,
          ...events,
        };
      },
    );

    app.post(
      '/chat/stream',
      {
        // A repeat with the same Idempotency-Key streams the turn the first one started, from its start.
        config: { auth: { permission: 'chat:write' }, idempotency: 'route' },
        schema: {
          operationId: 'chatStream',
          tags,
          summary: 'Send a message and stream the reply (SSE)',
          description:
            'Runs one chat turn and streams its events. The first event, `run.queued`, names the run ' +
            '(also in the `x-run-id` header). A dropped stream resumes with `GET /chat/stream/{runId}` ' +
            'and `Last-Event-ID`. A client that disconnects cancels the run (and its model call) unless ' +
            `it reconnects within ${RESUME_GRACE_MS / 1000} s or sent \`detach: true\`. Streams per user and per org are capped.`,
          headers: idempotencyHeaders,
          body: chatBody,
          response: { 200: streamResponse, ...errorResponses },
        },
      },
      async (request, reply) => {
        const p = principalOf(request);
        const release = limiter.acquire(p);
        try {
          const turn = await chat.start(p, {
            ...request.body,
            newConversation: true,
            source: 'chat',
            idempotencyKey: request.headers['idempotency-key'],
          });
          await sendStream(chat, request, reply, turn, { afterSeq: 0, resumed: turn.replayed === true });
        } finally {
          release();
        }
        return reply;
      },
    );

    app.get(
      '/chat/stream/:id',
      {
        config: { auth: { permission: 'chat:write' } },
        schema: {
          operationId: 'resumeChatStream',
          tags,
          summary: "Resume a chat turn's stream (SSE) after a dropped connection",
          description:
            'Streams the events of run `id` after `Last-Event-ID` (or `?after=`), then live until the run ' +
            'ends; a run that has ended answers what is left and closes. Following a run started without ' +
            '`detach` keeps it alive, and disconnecting again cancels it after the same grace.',
          params: z.object({ id: z.string().min(1).max(100) }),
          querystring: z.object({
            after: z.coerce
              .number()
              .int()
              .min(0)
              .optional()
              .meta({ description: 'Resume after this sequence number (Last-Event-ID wins)' }),
          }),
          response: { 200: streamResponse, ...errorResponses },
        },
      },
      async (request, reply) => {
        const p = principalOf(request);
        const turn = await chat.resume(p, request.params.id); // 404 before the stream opens
        const afterSeq = resumeSeq(request.headers['last-event-id'], request.query.after);
        const release = limiter.acquire(p);
        try {
          await sendStream(chat, request, reply, turn, { afterSeq, resumed: true });
        } finally {
          release();
        }
        return reply;
      },
    );
  };
}
