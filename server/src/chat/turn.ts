import { createHash } from 'node:crypto';
import type { ChatEvent, ModelCallUsage, TurnMessage } from '../agents/events.ts';
import type { RunAgentTurn } from '../agents/executor.ts';
import type { AgentService } from '../agents/service.ts';
import type { ConversationService } from '../conversations/service.ts';
import { type PendingApproval, RunFailure, TransientError, type TurnExecutor } from '../runs/executor.ts';
import { contextOf } from './context.ts';

/** Run-level events the worker writes itself; the agent loop's own versions are not repeated. */
const WORKER_EVENTS = new Set(['run.started', 'run.completed', 'run.failed', 'approval.required']);

/**
 * Sorts the agent loop's events: the run's own transitions are its runner's to write, the rest go to
 * the run's log through `emit`. Remembers the approval a paused turn waits for.
 */
export function splitTurnEvents(emit: (type: string, data: Record<string, unknown>) => void) {
  let approval: PendingApproval | undefined;
  return {
    onEvent(event: ChatEvent): void {
      if (event.type === 'approval.required') {
        approval = {
          toolName: event.name,
          arguments: event.arguments,
          callId: event.callId,
          agentId: event.agentId,
        };
      }
      if (WORKER_EVENTS.has(event.type)) return;
      const { type, ...data } = event;
      emit(type, data);
    },
    approval: () => approval,
  };
}

export interface TurnDeps {
  agents: Pick<AgentService, 'getForOrg'>;
  conversations: Pick<ConversationService, 'history' | 'appendMessages'>;
  runAgentTurn: RunAgentTurn;
  /** Records each model call for usage and agent health; failures here never fail the run. */
  recordUsage?: (
    run: { orgId: string; agentId: string; id: string; conversationId: string | null },
    calls: ModelCallUsage[],
  ) => Promise<void>;
}

/**
 * Runs executes agent turns through this: it loads the agent and the conversation, runs the turn on the
 * agent loop (fresh, or resumed from a paused RunState with the approval decision), keeps what was said
 * in the conversation exactly once per segment, and maps the outcome for the worker.
 */
export function createTurnExecutor(deps: TurnDeps): TurnExecutor {
  return async ({ run, resume, signal, emit, step }) => {
    const agent = await deps.agents.getForOrg(run.orgId, run.agentId).catch(() => undefined);
    if (!agent) throw new RunFailure('agent_not_found', `agent ${run.agentId} no longer exists`);
    const resuming = resume && run.pausedState ? run.pausedState : undefined;
    // Each segment of a run (before and after each approval) has its own step ids.
    const segment = resuming ? createHash('sha256').update(resuming).digest('hex').slice(0, 12) : 'start';
    // A fresh turn reads its conversation, or the history the run carries itself (OpenAI surface).
    const history = resuming
      ? []
      : run.conversationId
        ? await deps.conversations.history(run.orgId, run.conversationId)
        : contextOf(run.metadata);

    const events = splitTurnEvents(emit);
    const result = await deps.runAgentTurn({
      orgId: run.orgId,
      agent,
      history,
      input: run.input,
      signal,
      onEvent: events.onEvent,
      resume:
        resuming && resume
          ? { state: resuming, approved: resume.approved, reason: resume.reason }
          : undefined,
      steps: { step, stepPrefix: segment },
    });

    // Every model call is recorded, failed attempts included; once per attempt of each segment.
    if (deps.recordUsage && result.usage.calls.length) {
      await step(`usage:${segment}:${run.attempts}`, async () => {
        await deps.recordUsage?.(run, result.usage.calls);
        return true;
      }).catch(() => {});
    }

    const error = result.error ?? { code: 'internal_error', message: 'the run failed unexpectedly' };
    // A retry will run the turn again and keep what it says; this attempt's words are not kept.
    if (result.outcome === 'failed' && error.transient) throw new TransientError(error.message);

    if (run.conversationId) {
      const said: TurnMessage[] = resuming
        ? result.messages
        : [{ role: 'user', agentId: run.agentId, content: run.input, data: {} }, ...result.messages];
      const conversationId = run.conversationId;
      await step(`conversation:${segment}`, async () => {
        await deps.conversations.appendMessages(run.orgId, conversationId, said);
        return true;
      });
    }
    if (result.outcome === 'completed')
      return { kind: 'completed', output: result.text, usage: result.usage };
    const approval = events.approval();
    if (result.outcome === 'waiting_approval' && result.state && approval) {
      return { kind: 'paused', state: result.state, approval };
    }
    if (result.outcome === 'cancelled') throw new RunFailure('cancelled', 'the run was cancelled');
    throw new RunFailure(error.code, error.message);
  };
}
