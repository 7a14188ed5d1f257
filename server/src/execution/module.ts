import type { FastifyBaseLogger } from 'fastify';
import type { Agent } from '../agents/present.ts';
import type { AppContext } from '../platform/context.ts';
import type { ModelResolver } from '../providers/models/resolver.ts';
import type { ProvidersService } from '../providers/service.ts';
import type { ToolRegistry } from '../tools/registry.ts';
import { createAgentTurnRunner, type ExecutorTuning } from './agent-turn.ts';
import type { TurnMessage } from './events.ts';
import { createInlineTurns } from './inline.ts';
import type { CallGate } from './metered-model.ts';
import { createQueuedLoop } from './queued.ts';
import type { ExecutionRun, InlineRun, RunJob, RunRecords } from './records.ts';
import { createQueuedTurn } from './turn.ts';

/** What execution needs of other domains, through their services. */
export interface ExecutionDeps {
  agents: {
    getForOrg(orgId: string, id: string): Promise<Agent>;
    findMany(orgId: string, ids: string[]): Promise<Agent[]>;
  };
  tools: ToolRegistry;
  providers: { service: Pick<ProvidersService, 'orgProvider'>; resolver: ModelResolver };
  conversations: {
    history(orgId: string, conversationId: string): Promise<TurnMessage[]>;
    appendMessages(orgId: string, conversationId: string, messages: TurnMessage[]): Promise<unknown>;
  };
  /** The gate each model call of a run passes before it is made (budgets). */
  gateFor?(run: ExecutionRun | InlineRun): CallGate | undefined;
  /** The durable record of runs (the runs domain). */
  records: RunRecords;
}

/**
 * Wires execution, the one place a turn runs: the agent turn on the Agents SDK, the loop that
 * executes queued runs, and the in-request loop for callers that cannot resume a stream.
 */
export function createExecution(
  ctx: AppContext,
  log: FastifyBaseLogger,
  deps: ExecutionDeps,
  tuning: ExecutorTuning = {},
) {
  const { config } = ctx;
  const runAgentTurn = createAgentTurnRunner(
    {
      agents: deps.agents,
      tools: deps.tools,
      resolver: deps.providers.resolver,
      providers: deps.providers.service,
      log,
    },
    tuning,
  );
  const loop = createQueuedLoop({
    queue: ctx.queue,
    bus: ctx.bus,
    records: deps.records,
    turn: createQueuedTurn({
      agents: deps.agents,
      conversations: deps.conversations,
      runAgentTurn,
      gateFor: deps.gateFor,
    }),
    modelOf: async (orgId, agentId) =>
      (await deps.agents.getForOrg(orgId, agentId).catch(() => undefined))?.model ?? 'unknown',
    log,
    settings: config.runs,
    soleProcess: ctx.database.kind === 'pglite',
  });
  const inline = config.chat.inlineMax
    ? createInlineTurns({
        runAgentTurn,
        records: deps.records,
        gateFor: deps.gateFor,
        maxInFlight: config.chat.inlineMax,
        timeoutSeconds: config.runs.timeoutSeconds,
      })
    : undefined;
  return {
    runAgentTurn,
    /** Executes turns in their request when this process has room (undefined when turned off). */
    inline,
    /** Starts executing queued runs in this process. */
    start: () => loop.start(),
    /** A run was submitted or resumed here: claim it now rather than at the next look. */
    wake: () => loop.wake(),
    /** How long to hold back the job of a run submitted here, if this process will start it itself. */
    holdFor: () => loop.holdFor(),
    /** Starts a run submitted here whose job is held back (the queue is its fallback). */
    startHere: (run: ExecutionRun, job: RunJob, jobId: string) => loop.startHere(run, job, jobId),
    /** Keeps a slot for a run about to be submitted here, claimed in its submission (see queued.ts). */
    reserve: (runId: string) => loop.reserve(runId),
    /** Stops taking runs; running ones get half the shutdown time, then go back on the queue. */
    stop: () => loop.stop(config.shutdownTimeoutMs / 2),
  };
}

export type Execution = ReturnType<typeof createExecution>;
