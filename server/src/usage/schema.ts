import { z } from 'zod';
import { pageQuerySchema } from '../platform/pagination.ts';

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

// ---- costs, prices and budgets ---------------------------------------------------------------------

const usd = z.number().meta({ description: 'USD, up to 6 decimals' });
const perMTok = z.number().min(0).max(100_000).meta({ description: 'USD per million tokens' });

export const priceSchema = z
  .object({
    model: z.string().meta({ description: '`provider:model`, as agents name it' }),
    inputPerMTok: perMTok,
    cachedInputPerMTok: perMTok,
    outputPerMTok: perMTok,
    source: z
      .enum(['default', 'org'])
      .meta({ description: "default: built in; org: your organisation's own" }),
    defaultPrice: z
      .object({ inputPerMTok: perMTok, cachedInputPerMTok: perMTok, outputPerMTok: perMTok })
      .nullable()
      .meta({ description: 'The built-in price an org price overrides' }),
    updatedAt: z.string().nullable(),
  })
  .meta({ id: 'ModelPrice' });

export const putPriceBody = z
  .strictObject({ inputPerMTok: perMTok, cachedInputPerMTok: perMTok, outputPerMTok: perMTok })
  .meta({ id: 'PutModelPriceRequest' });

export const modelParams = z.object({
  model: z
    .string()
    .min(3)
    .max(240)
    .regex(/^[a-z0-9][\w.-]*:[\w./:-]+$/i, 'must be provider:model, e.g. openai:gpt-4.1')
    .meta({ description: '`provider:model` (URL-encoded)' }),
});

const range = {
  from: z.iso
    .datetime({ offset: true })
    .optional()
    .meta({ description: 'Start (default: 30 days before `to`)' }),
  to: z.iso.datetime({ offset: true }).optional().meta({ description: 'End (default: now)' }),
};

const sums = {
  calls: z.number().int(),
  errors: z.number().int().meta({ description: 'Calls that failed' }),
  inputTokens: z.number().int(),
  cachedInputTokens: z
    .number()
    .int()
    .meta({ description: 'Of the input tokens, served from the prompt cache' }),
  outputTokens: z.number().int(),
  costUsd: usd,
};

export const summaryQuery = z.object({
  ...range,
  groupBy: z.enum(['model', 'agent', 'user', 'apiKey']).default('model'),
});

export const summarySchema = z
  .object({
    from: z.string(),
    to: z.string(),
    groupBy: z.enum(['model', 'agent', 'user', 'apiKey']),
    totals: z.object(sums),
    groups: z.array(
      z.object({
        key: z.string().meta({ description: 'The model, or the agent, user or API key id' }),
        label: z.string().nullable().meta({ description: 'Its name, when it still exists' }),
        ...sums,
      }),
    ),
  })
  .meta({
    id: 'UsageSummary',
    description: 'Read from hourly sums: `from` and `to` are widened to whole hours',
  });

export const timelineQuery = z.object({
  ...range,
  bucket: z.enum(['hour', 'day']).default('day'),
  agentId: z.string().max(100).optional(),
  model: z.string().max(240).optional(),
});

export const timelineSchema = z
  .object({
    bucket: z.enum(['hour', 'day']),
    from: z.string(),
    to: z.string(),
    buckets: z
      .array(z.object({ start: z.string(), ...sums }))
      .meta({ description: 'Every bucket, empty ones too' }),
  })
  .meta({ id: 'UsageTimeline' });

export const usageErrorsQuery = pageQuerySchema.extend(range);

export const usageErrorSchema = z
  .object({
    id: z.string(),
    at: z.string(),
    model: z.string(),
    agentId: z.string(),
    runId: z.string().nullable(),
    code: z.string().meta({ description: 'model_error, model_timeout, model_rate_limited, ...' }),
    message: z.string(),
  })
  .meta({ id: 'UsageError' });

export const monthUsageSchema = z
  .object({ period: z.object({ from: z.string(), to: z.string().nullable() }), ...sums })
  .meta({ id: 'MonthUsage', description: 'This calendar month (UTC)' });

const scope = z.enum(['org', 'agent', 'user', 'apiKey']);
const period = z.enum(['day', 'week', 'month', 'total']);
const alertAt = z.array(z.number().gt(0).lte(1)).max(10).meta({
  description: 'Fractions of the limit that send budget.threshold once per period, e.g. [0.5, 0.8]',
});

export const budgetSchema = z
  .object({
    id: z.string(),
    scope,
    scopeId: z.string().nullable().meta({ description: 'The agent, user or API key; null for the org' }),
    limitUsd: usd,
    period: period.meta({ description: 'Calendar periods in UTC (weeks from Monday); total never resets' }),
    hard: z.boolean().meta({ description: 'Refuse calls that could pass the limit (soft: only alert)' }),
    alertAt,
    source: z
      .enum(['manual', 'plan'])
      .meta({ description: "plan: the monthly budget of the org's billing plan" }),
    spentUsd: usd.meta({ description: 'Spent in the current period' }),
    reservedUsd: usd.meta({
      description:
        'Held by calls in flight at their worst case, and by servers for their next calls while the ' +
        'budget has room to spare (given back within a second of idleness)',
    }),
    periodStart: z.string(),
    resetsAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Budget' });

const limitUsd = z.number().gt(0).max(1_000_000).meta({ description: 'USD, up to 6 decimals' });

export const createBudgetBody = z
  .strictObject({
    scope,
    scopeId: z.string().min(1).max(100).nullable().optional(),
    limitUsd,
    period,
    hard: z.boolean().default(true),
    alertAt: alertAt.default([0.8]),
  })
  .meta({ id: 'CreateBudgetRequest' });

export const updateBudgetBody = z
  .strictObject({
    scope: scope.optional(),
    scopeId: z.string().min(1).max(100).nullable().optional(),
    limitUsd: limitUsd.optional(),
    period: period.optional(),
    hard: z.boolean().optional(),
    alertAt: alertAt.optional(),
  })
  .meta({ id: 'UpdateBudgetRequest' });
