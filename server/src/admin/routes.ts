import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../platform/auth.ts';
import { errorEnvelopeSchema } from '../platform/errors.ts';
import { errorResponses } from '../platform/http.ts';
import type { NoticeBoard } from './notice.ts';
import type { RestartControl } from './restart.ts';
import {
  agentHealthTableSchema,
  currentNoticeSchema,
  executionMetricsSchema,
  postNoticeBody,
  restartSchema,
  statisticsSchema,
  systemHealthSchema,
} from './schema.ts';
import type { AdminService } from './service.ts';

const windowQuery = z.object({ window: z.enum(['1h', '24h', '7d']).default('1h') });

/** The admin control room under `/admin`: platform figures, health, and a graceful restart. */
export function adminRoutes(admin: AdminService, restart: RestartControl, notice: NoticeBoard) {
  return async (root: FastifyInstance) => {
    const app = root.withTypeProvider<ZodTypeProvider>();
    const tags = ['admin'];
    const auth = { permission: 'admin' };

    app.get(
      '/notice',
      {
        config: { auth: 'authenticated' },
        schema: {
          operationId: 'getNotice',
          tags,
          summary: "The operator's maintenance notice, or null; every console shows it as a banner",
          description:
            'Changes arrive live on the realtime channel `notice` (`notice.posted`, `notice.cleared`).',
          response: { 200: currentNoticeSchema, ...errorResponses },
        },
      },
      async () => notice.current(),
    );

    app.put(
      '/admin/notice',
      {
        config: { auth },
        schema: {
          operationId: 'postNotice',
          tags,
          summary: 'Post (or replace) the maintenance notice every console shows (operator admins)',
          body: postNoticeBody,
          response: { 200: currentNoticeSchema, ...errorResponses },
        },
      },
      async (request) => notice.post(principalOf(request), request.body),
    );

    app.delete(
      '/admin/notice',
      {
        config: { auth },
        schema: {
          operationId: 'clearNotice',
          tags,
          summary: 'Clear the maintenance notice (operator admins)',
          response: { 204: z.null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await notice.clear(principalOf(request));
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/admin/control-room/statistics',
      {
        config: { auth },
        schema: {
          operationId: 'getControlRoomStatistics',
          tags,
          summary: 'Platform figures: orgs, users, connected sockets and what other domains add',
          response: { 200: statisticsSchema, ...errorResponses },
        },
      },
      async (request) => admin.statistics(principalOf(request)),
    );

    app.get(
      '/admin/control-room/system-health',
      {
        config: { auth },
        schema: {
          operationId: 'getSystemHealth',
          tags,
          summary: 'Database, queue and Redis probes, memory, event-loop lag, uptime and version',
          response: { 200: systemHealthSchema, ...errorResponses },
        },
      },
      async (request) => admin.systemHealth(principalOf(request)),
    );

    app.get(
      '/admin/control-room/execution-metrics',
      {
        config: { auth },
        schema: {
          operationId: 'getExecutionMetrics',
          tags,
          summary: 'Runs by status, duration p50/p95, throughput and queue depth, platform-wide',
          querystring: windowQuery,
          response: { 200: executionMetricsSchema, ...errorResponses },
        },
      },
      async (request) => admin.executionMetrics(principalOf(request), request.query.window),
    );

    app.get(
      '/admin/control-room/agent-health',
      {
        config: { auth },
        schema: {
          operationId: 'getAgentHealthTable',
          tags,
          summary: "Every agent's recent runs: volume, success rate, latency and last run",
          querystring: windowQuery,
          response: { 200: agentHealthTableSchema, ...errorResponses },
        },
      },
      async (request) => admin.agentHealth(principalOf(request), request.query.window),
    );

    app.post(
      '/admin/restart',
      {
        config: { auth },
        schema: {
          operationId: 'restartServer',
          tags,
          summary: 'Drain (stop accepting, finish in-flight work, close sockets with 1012) and restart',
          description:
            'Answers 202 first, then drains and exits 0; `switchboard start` starts the server again. ' +
            'Under another supervisor, restart on exit code 0.',
          response: { 202: restartSchema, ...errorResponses, 503: errorEnvelopeSchema },
        },
      },
      async (request, reply) => {
        const accepted = await admin.acceptRestart(principalOf(request));
        // Drain only after this answer is out: draining waits for in-flight requests, this one included.
        reply.raw.once('finish', () => {
          setImmediate(() => void restart.restart(`requested by ${request.principal?.id ?? 'unknown'}`));
        });
        return reply.status(202).header('connection', 'close').send(accepted);
      },
    );
  };
}
