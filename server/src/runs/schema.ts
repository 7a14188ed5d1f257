import { z } from 'zod';
import { executionEventSchema, turnUsageSchema } from '../execution/events.ts';
import { pageQuerySchema } from '../platform/pagination.ts';

export const runStatusSchema = z.enum([
  'queued',
  'running',
  'waiting_approval',
  'succeeded',
  'failed',
  'cancelled',
]);

export const runSchema = z
  .object({
    id: z.string(),
    agentId: z.string(),
    conversationId: z.string().nullable(),
    status: runStatusSchema,
    input: z.string(),
    metadata: z.record(z.string(), z.unknown()),
    output: z.string().nullable(),
    error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }).nullable(),
    usage: turnUsageSchema.nullable(),
    source: z.enum(['api', 'chat', 'openai']),
    attempts: z.number().int(),
    lastSeq: z.number().int().meta({ description: 'Sequence number of the latest event in the run log' }),
    createdBy: z.string(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Run' });

export const runEventSchema = z
  .object({
    seq: z.number().int().meta({ description: 'Its place in the run log, from 1 without gaps' }),
    type: z.string().meta({ description: 'The event type (also `data.type`)', example: 'message.delta' }),
    data: executionEventSchema,
    at: z.string(),
  })
  .meta({ id: 'RunEvent' });

export const submitRunBody = z
  .object({
    agentId: z.string().min(1).max(100),
    input: z.string().min(1).max(100_000),
    conversationId: z.string().min(1).max(100).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'SubmitRunRequest' });

export const listRunsQuery = pageQuerySchema.extend({
  status: runStatusSchema.optional(),
  agentId: z.string().max(100).optional(),
  conversationId: z
    .string()
    .max(100)
    .optional()
    .meta({ description: "Only the runs of this conversation (a chat's turns)" }),
  since: z.iso.datetime({ offset: true }).optional(),
});

export const runEventsQuery = z.object({
  after: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .meta({ description: 'Replay events after this sequence number' }),
  limit: z.coerce.number().int().min(1).max(1000).default(1000),
});
