import { z } from 'zod';

/**
 * The one vocabulary of execution. A turn emits these, the run log stores them, `/chat/stream`,
 * `/runs/{id}/events` and the WebSocket send them as they are, the console reads them through the
 * generated client, and the OpenAI surface maps them to completion chunks. Add an event here and it is
 * typed everywhere.
 */

/** Tokens and time of one model call. */
export const modelCallUsageSchema = z
  .object({
    agentId: z.string(),
    model: z.string(),
    inputTokens: z.number().int(),
    /** Of `inputTokens`, how many the provider served from its prompt cache. */
    cachedInputTokens: z.number().int().optional(),
    outputTokens: z.number().int(),
    latencyMs: z.number().int(),
    outcome: z.enum(['ok', 'error', 'cancelled']),
    errorCode: z.string().optional().meta({
      description:
        'With outcome error: model_error, model_timeout, model_rate_limited, provider_not_configured, ...',
    }),
    errorMessage: z.string().optional().meta({ description: 'With outcome error: what went wrong' }),
    costUsd: z.number().optional().meta({ description: 'What the call cost at the price of its model' }),
  })
  .meta({ id: 'ModelCallUsage' });

/** What a turn cost: totals, and each model call for the usage records. */
export const turnUsageSchema = z
  .object({
    model: z.string().meta({ description: 'The model of the agent the turn started with' }),
    inputTokens: z.number().int(),
    outputTokens: z.number().int(),
    totalTokens: z.number().int(),
    requests: z.number().int().meta({ description: 'Model calls made' }),
    latencyMs: z.number().int().meta({ description: 'Wall time of the whole turn' }),
    costUsd: z.number().optional().meta({ description: 'What the model calls cost, at their prices' }),
    outcome: z.enum(['completed', 'failed', 'cancelled', 'waiting_approval']),
    calls: z.array(modelCallUsageSchema),
  })
  .meta({ id: 'TurnUsage' });

export type ModelCallUsage = z.infer<typeof modelCallUsageSchema>;
export type TurnUsage = z.infer<typeof turnUsageSchema>;

const agentId = z
  .string()
  .meta({ description: 'The agent speaking (differs from the first after a hand-off)' });

const runQueued = z
  .object({
    type: z.literal('run.queued'),
    runId: z.string(),
    conversationId: z.string().nullable(),
    agentId: z.string(),
  })
  .meta({ description: 'Always first: names the run (to resume or cancel) and its conversation' });

const runStarted = z.object({
  type: z.literal('run.started'),
  agentId,
  model: z.string(),
  attempt: z.number().int(),
  resumed: z
    .boolean()
    .meta({ description: 'True when the run continues after an approval or a worker restart' }),
  cause: z.enum(['start', 'approval', 'recovery']).meta({
    description:
      'start: the first attempt or a retry; approval: after a person decided; recovery: the process running it stopped',
  }),
});

const messageDelta = z.object({ type: z.literal('message.delta'), text: z.string(), agentId });
const messageCompleted = z.object({ type: z.literal('message.completed'), text: z.string(), agentId });

const toolCalled = z.object({
  type: z.literal('tool.called'),
  name: z.string(),
  arguments: z.unknown(),
  callId: z.string(),
  agentId,
});

const toolResult = z.object({
  type: z.literal('tool.result'),
  name: z.string(),
  callId: z.string(),
  output: z.string(),
  isError: z.boolean(),
  agentId,
});

const handoff = z.object({
  type: z.literal('handoff'),
  from: z.string().meta({ description: 'Agent id handing off' }),
  to: z.string().meta({ description: 'Agent id taking over' }),
});

const approvalRequired = z
  .object({
    type: z.literal('approval.required'),
    name: z.string(),
    arguments: z.unknown(),
    callId: z.string(),
    agentId,
    inboxItemId: z.string().meta({ description: 'Approve or reject it with POST /inbox/{id}/approve' }),
  })
  .meta({ description: 'The run pauses; a stream stays open and continues once a person decides' });

const approvalDecided = z.object({
  type: z.literal('approval.decided'),
  approved: z.boolean(),
  reason: z.string().nullable(),
  by: z.string().meta({ description: 'Who decided: a user or API key id' }),
});

const runCompleted = z.object({
  type: z.literal('run.completed'),
  output: z.string(),
  agentId: z.string().meta({ description: 'The agent that spoke last' }),
  usage: turnUsageSchema,
});

const runFailed = z
  .object({
    type: z.literal('run.failed'),
    code: z.string().meta({
      description:
        'cancelled, model_error, run_timeout, max_turns, guardrail, budget_exceeded, worker_lost, ...',
    }),
    message: z.string(),
    details: z
      .unknown()
      .optional()
      .meta({ description: 'With budget_exceeded: the budget that had no room' }),
  })
  .meta({ description: 'The end of a run that did not succeed; `cancelled` when someone stopped it' });

const problem = z.object({ type: z.literal('error'), code: z.string(), message: z.string() }).meta({
  description:
    'Not the end of the run: `retrying` (a transient failure; the turn starts again), or on a stream ' +
    '`server_restarting` / `stream_failed` (resume with Last-Event-ID)',
});

export const executionEventSchema = z
  .discriminatedUnion('type', [
    runQueued,
    runStarted,
    messageDelta,
    toolCalled,
    toolResult,
    handoff,
    approvalRequired,
    approvalDecided,
    messageCompleted,
    runCompleted,
    runFailed,
    problem,
  ])
  .meta({ id: 'ExecutionEvent' });

export type ExecutionEvent = z.infer<typeof executionEventSchema>;
export type ExecutionEventType = ExecutionEvent['type'];
/** The member of the union with this `type`. */
export type EventOf<T extends ExecutionEventType> = Extract<ExecutionEvent, { type: T }>;

/** What an agent turn itself says while it runs; the run loop writes the run's own transitions. */
export type TurnEvent = EventOf<
  'message.delta' | 'message.completed' | 'tool.called' | 'tool.result' | 'handoff'
>;

/** An event with its place in a run's log: the SSE `id:` and the WebSocket `seq`. */
export interface LoggedEvent {
  seq: number;
  at: string;
  event: ExecutionEvent;
}

/** The events that end a run. */
export const TERMINAL_EVENTS: ReadonlySet<ExecutionEventType> = new Set(['run.completed', 'run.failed']);
export const isTerminal = (event: { type: string }): boolean =>
  TERMINAL_EVENTS.has(event.type as ExecutionEventType);

/** A message a turn produced (or a past one, as history), in the shape conversations store. */
export interface TurnMessage {
  role: 'user' | 'assistant' | 'tool_call' | 'tool_result' | 'handoff';
  /** The agent that produced it; for a user message, the agent it was addressed to. */
  agentId: string | null;
  content: string;
  data: {
    toolName?: string;
    callId?: string;
    arguments?: unknown;
    isError?: boolean;
    /** An assistant reply cut off by a failure or cancellation. */
    incomplete?: boolean;
    from?: string;
    to?: string;
  };
}
