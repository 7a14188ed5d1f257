import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../platform/auth.ts';
import { errorResponses, idempotencyHeaders, idParams } from '../platform/http.ts';
import { pageOf } from '../platform/pagination.ts';
import { openSse, resumeSeq } from '../platform/sse.ts';
import { presentRun, presentRunEvent } from './present.ts';
import { listRunsQuery, runEventSchema, runEventsQuery, runSchema, submitRunBody } from './schema.ts';
import type { RunsService } from './service.ts';

/** Runs: submit, read, cancel, and follow their event log (JSON or SSE). */
export function runsRoutes(runs: RunsService) {
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    const tags = ['runs'];

    app.post(
      '/runs',
      {
        // The run itself is the idempotent result: a repeat answers with it as it is now.
        config: { auth: { permission: 'runs:write' }, idempotency: 'route' },
        schema: {
          operationId: 'submitRun',
          tags,
          summary: 'Submit an intent; the run executes in the background',
          headers: idempotencyHeaders,
          body: submitRunBody,
          response: { 202: runSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { run, replayed } = await runs.submit(principalOf(request), request.body, {
          idempotencyKey: request.headers['idempotency-key'],
        });
        if (replayed) reply.header('idempotent-replayed', 'true');
        return reply.status(202).send(presentRun(run));
      },
    );

    app.get(
      '/runs',
      {
        config: { auth: { permission: 'runs:read' } },
        schema: {
          operationId: 'listRuns',
          tags,
          summary: 'Runs, newest first, filtered by status, agent and time',
          querystring: listRunsQuery,
          response: { 200: pageOf(runSchema), ...errorResponses },
        },
      },
      async (request) => {
        const page = await runs.list(principalOf(request), request.query);
        return { items: page.items.map(presentRun), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/runs/:id',
      {
        config: { auth: { permission: 'runs:read' } },
        schema: {
          operationId: 'getRun',
          tags,
          params: idParams,
          response: { 200: runSchema, ...errorResponses },
        },
      },
      async (request) => presentRun(await runs.get(principalOf(request), request.params.id)),
    );

    app.post(
      '/runs/:id/cancel',
      {
        config: { auth: { permission: 'runs:write' } },
        schema: {
          operationId: 'cancelRun',
          tags,
          summary: 'Cancel a run; an executing one stops within a second',
          params: idParams,
          response: { 202: runSchema, ...errorResponses },
        },
      },
      async (request, reply) =>
        reply.status(202).send(presentRun(await runs.cancel(principalOf(request), request.params.id))),
    );

    app.get(
      '/runs/:id/events',
      {
        config: { auth: { permission: 'runs:read' } },
        schema: {
          operationId: 'listRunEvents',
          tags,
          summary:
            'The run log: SSE (replay from Last-Event-ID or ?after=, then live) or, with Accept: application/json, a list',
          params: idParams,
          querystring: runEventsQuery,
          response: { 200: z.object({ items: z.array(runEventSchema) }), ...errorResponses },
        },
      },
      async (request, reply) => {
        const p = principalOf(request);
        const after = resumeSeq(request.headers['last-event-id'], request.query.after);
        const wantsJson = (request.headers.accept ?? '').includes('application/json');
        if (wantsJson) {
          const events = await runs.events(p, request.params.id, after, request.query.limit);
          return { items: events.map(presentRunEvent) };
        }
        const run = await runs.get(p, request.params.id); // 404 before the stream opens
        const stream = openSse(reply);
        await runs.follow(
          run,
          after,
          (e) => stream.send({ id: e.seq, event: e.event.type, data: presentRunEvent(e) }),
          stream.signal,
        );
        stream.close();
        return reply;
      },
    );
  };
}
