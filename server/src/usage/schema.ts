import { z } from 'zod';

/** The windows health can be computed over, and their length. */
export const HEALTH_WINDOWS = { '1h': 3_600_000, '24h': 86_400_000, '7d': 604_800_000 } as const;
export type HealthWindow = keyof typeof HEALTH_WINDOWS;

export const healthQuerySchema = z.object({
  window: z
    .enum(['1h', '24h', '7d'])
    .default('24h')
    .meta({ description: 'How far back to look: the last hour, day or week' }),
});

/** Below these success rates an agent is `degraded`, then `failing`. */
export const DEGRADED_BELOW = 0.95;
export const FAILING_BELOW = 0.5;

const ms = z.number().nullable();

export const agentHealthSchema = z
  .object({
    agentId: z.string(),
    window: z.enum(['1h', '24h', '7d']),
    since: z.string().meta({ description: 'Start of the window (ISO 8601)' }),
    until: z.string().meta({ description: 'End of the window: when this was computed' }),
    status: z.enum(['idle', 'healthy', 'degraded', 'failing']).meta({
      description: `idle: no model calls in the window; healthy: success rate at least ${DEGRADED_BELOW}; degraded: below that; failing: below ${FAILING_BELOW}`,
    }),
    requests: z.number().int().meta({ description: 'Model calls in the window, whatever their outcome' }),
    succeeded: z.number().int(),
    errors: z.number().int().meta({ description: 'Calls the model or provider failed' }),
    cancelled: z.number().int().meta({ description: 'Calls stopped by the client or a cancelled run' }),
    successRate: z.number().min(0).max(1).nullable().meta({
      description:
        'succeeded / (succeeded + errors); cancelled calls count for neither. null without such calls',
    }),
    latencyMs: z
      .object({ p50: ms, p95: ms })
      .meta({ description: 'Percentiles of successful calls, in milliseconds; null without any' }),
    tokens: z.object({ input: z.number().int(), output: z.number().int() }),
    lastCallAt: z
      .string()
      .nullable()
      .meta({ description: 'When the agent last called its model, even before the window' }),
    lastError: z
      .object({ code: z.string(), at: z.string() })
      .nullable()
      .meta({ description: 'The latest failed call in the window' }),
  })
  .meta({ id: 'AgentHealth' });

export type AgentHealth = z.infer<typeof agentHealthSchema>;
