import { z } from 'zod';

export const statisticsSchema = z
  .object({
    at: z.string(),
    orgs: z.number().int(),
    users: z.number().int(),
    realtime: z.object({
      sockets: z.number().int().meta({ description: 'Authenticated sockets on every replica' }),
      replicas: z.number().int(),
      thisReplica: z.object({
        replicaId: z.string(),
        sockets: z.number().int(),
        unauthenticated: z.number().int(),
        users: z.number().int(),
        orgs: z.number().int(),
        slowConsumersDropped: z.number().int(),
        deadSocketsTerminated: z.number().int(),
      }),
    }),
    figures: z
      .record(z.string(), z.number())
      .meta({ description: 'Counts other domains contribute (agents, runs, ...)' }),
  })
  .meta({ id: 'ControlRoomStatistics' });

const check = z.object({ ok: z.boolean(), latencyMs: z.number(), error: z.string().optional() });

export const systemHealthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    at: z.string(),
    version: z.string(),
    node: z.string(),
    pid: z.number().int(),
    replicaId: z.string(),
    startedAt: z.string(),
    uptimeSeconds: z.number(),
    checks: z.record(z.string(), check).meta({ description: 'database, queue and Redis when present' }),
    memory: z.object({
      rssBytes: z.number(),
      heapUsedBytes: z.number(),
      heapTotalBytes: z.number(),
      externalBytes: z.number(),
      arrayBuffersBytes: z.number(),
    }),
    eventLoop: z.object({
      meanMs: z.number(),
      p99Ms: z.number(),
      maxMs: z.number(),
      windowSeconds: z.number(),
    }),
    restartRequested: z.boolean(),
  })
  .meta({ id: 'SystemHealth' });

export const restartSchema = z
  .object({
    status: z.literal('restarting'),
    drainTimeoutMs: z.number().int(),
  })
  .meta({ id: 'RestartAccepted' });

const durations = z.object({ p50: z.number().nullable(), p95: z.number().nullable() });

export const executionMetricsSchema = z
  .object({
    at: z.string(),
    window: z.enum(['1h', '24h', '7d']),
    bucketMs: z.number().int().meta({ description: 'The width of each bucket of `series`' }),
    series: z
      .array(
        z.object({
          at: z.string().meta({ description: 'Start of the bucket' }),
          succeeded: z.number().int(),
          failed: z.number().int(),
          cancelled: z.number().int(),
          p50Ms: z.number().nullable(),
        }),
      )
      .meta({
        description: 'Runs finished per bucket over the window, oldest first, empty buckets included',
      }),
    runsByStatus: z.record(z.string(), z.number()).meta({ description: 'Every run now, by status' }),
    finished: z.number().int().meta({ description: 'Runs that finished in the window' }),
    durationMs: durations,
    finishedByStatus: z.record(
      z.string(),
      z.object({ count: z.number().int(), p50Ms: z.number().nullable(), p95Ms: z.number().nullable() }),
    ),
    throughputPerMinute: z.number(),
    queue: z.object({
      ready: z.number().nullable(),
      active: z.number().nullable(),
      deferred: z.number().nullable(),
    }),
  })
  .meta({ id: 'ExecutionMetrics' });

export const agentHealthTableSchema = z
  .object({
    at: z.string(),
    window: z.enum(['1h', '24h', '7d']),
    items: z.array(
      z.object({
        agentId: z.string(),
        orgId: z.string(),
        orgName: z.string().nullable(),
        name: z.string().nullable(),
        slug: z.string().nullable(),
        runs: z.number().int(),
        succeeded: z.number().int(),
        failed: z.number().int(),
        successRate: z.number().nullable(),
        latencyMs: durations,
        lastRunAt: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'AgentHealthTable' });

export const noticeSchema = z
  .object({
    message: z.string(),
    level: z.enum(['info', 'warning']),
    postedAt: z.string(),
  })
  .meta({ id: 'MaintenanceNotice' });

export const currentNoticeSchema = z
  .object({ notice: noticeSchema.nullable() })
  .meta({ id: 'CurrentNotice' });

export const postNoticeBody = z
  .object({
    message: z.string().trim().min(1).max(500),
    level: z.enum(['info', 'warning']).optional().meta({ description: 'Default info' }),
  })
  .meta({ id: 'PostNoticeRequest' });
