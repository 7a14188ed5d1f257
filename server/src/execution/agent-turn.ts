import {
  type AgentInputItem,
  InputGuardrailTripwireTriggered,
  MaxTurnsExceededError,
  ModelBehaviorError,
  OutputGuardrailTripwireTriggered,
  Runner,
  RunState,
  setTracingDisabled,
  type ToolErrorFormatterArgs,
} from '@openai/agents';
import type { Agent as AgentSpec } from '../agents/present.ts';
import { ModelUnavailableError } from '../providers/models/resolver.ts';
import { modelToolName } from '../tools/registry.ts';
import type { ModelCallUsage, TurnEvent, TurnMessage, TurnUsage } from './events.ts';
import { buildAgentGraph, type GraphDeps, type StepOptions } from './graph.ts';
import { guardrailReason } from './guardrails.ts';
import { type CallGate, CallRefused, ModelCallError } from './metered-model.ts';
import type { PendingApproval } from './records.ts';
import { callModelOnce, isSingleCallAgent, plainReply, primedWith } from './single-call.ts';
import { TurnRecorder } from './turn-recorder.ts';

// No traces leave this server: the SDK's default exporter sends them to OpenAI when a key is set. The
// Runner below says so for runs; this covers anything else in the SDK that would trace.
setTracingDisabled(true);

/** Model calls one turn may make (tool calls and hand-offs each take one). */
export const DEFAULT_MAX_TURNS = 16;

export interface RunTurnInput {
  orgId: string;
  /** The agent the turn starts with. */
  agent: AgentSpec;
  /** The conversation so far, oldest first. */
  history: TurnMessage[];
  /** The new user message. */
  input: string;
  /** Aborting stops the model call in flight and ends the turn as `cancelled`. */
  signal?: AbortSignal | undefined;
  onEvent: (event: TurnEvent) => void;
  /** Asked before each model call (budgets); refusing fails the turn. */
  gate?: CallGate | undefined;
  /** The run this turn belongs to; its tools see it (what a fix run works on, say). */
  run?: { id: string; metadata: Record<string, unknown> } | undefined;
  maxTurns?: number;
  /** Continues a turn that paused for approval: the state it returned and the person's decision. */
  resume?: { state: string; approved: boolean; reason?: string | undefined } | undefined;
  /** Exactly-once tool calls across retries (runs provide it). */
  steps?: StepOptions | undefined;
  /**
   * False when nobody reads the reply as it is written (a non-streaming completion): the model is
   * asked for whole responses, which costs less than streaming, and no `message.delta` is emitted.
   * A resumed turn always streams.
   */
  stream?: boolean;
}

/** Why a turn failed: a stable code, what to tell people, and for some codes what it was about. */
export interface TurnError {
  code: string;
  message: string;
  /** With budget_exceeded: the budget without room. */
  details?: unknown;
  transient?: boolean;
}

export interface TurnResult {
  outcome: TurnUsage['outcome'];
  /** The final reply ('' when the turn produced none). */
  text: string;
  /** The agent that spoke last (differs from the start after a hand-off). */
  agentId: string;
  /** What the turn produced, in order, for the conversation to keep. */
  messages: TurnMessage[];
  usage: TurnUsage;
  error?: TurnError;
  /** With `waiting_approval`: the SDK's serialized RunState, to resume once a person decides. */
  state?: string;
  /** With `waiting_approval`: the tool call that waits for a person. */
  approval?: PendingApproval;
}

/** Past messages as SDK input items. Tool calls without their result (a cut-off turn) are left out. */
export function historyToItems(history: TurnMessage[]): AgentInputItem[] {
  const results = new Set(history.filter((m) => m.role === 'tool_result').map((m) => m.data.callId));
  const calls = new Set(history.filter((m) => m.role === 'tool_call').map((m) => m.data.callId));
  const items: AgentInputItem[] = [];
  for (const m of history) {
    const callId = m.data.callId ?? '';
    const name = modelToolName(m.data.toolName ?? 'unknown');
    if (m.role === 'user') items.push({ role: 'user', content: m.content });
    else if (m.role === 'assistant' && m.content) {
      items.push({
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: m.content }],
      });
    } else if (m.role === 'tool_call' && results.has(callId)) {
      items.push({ type: 'function_call', callId, name, arguments: m.content, status: 'completed' });
    } else if (m.role === 'tool_result' && calls.has(callId)) {
      items.push({ type: 'function_call_result', callId, name, status: 'completed', output: m.content });
    }
  }
  return items;
}

/**
 * A provider failure worth retrying: the connection failed or timed out, or the provider said it is
 * overloaded (429) or broken (5xx). A 4xx means the request itself is wrong, and stays failed.
 */
export function isTransient(err: unknown): boolean {
  const status = (err as { status?: unknown } | undefined)?.status;
  if (typeof status === 'number') return status === 408 || status === 429 || status >= 500;
  const name = (err as { name?: unknown } | undefined)?.name;
  return name === 'APIConnectionError' || name === 'APIConnectionTimeoutError';
}

/** Rebuilds a paused turn's SDK state and applies the decision to every pending approval. */
async function resumedState(
  root: Parameters<typeof RunState.fromString>[0],
  resume: { state: string; approved: boolean; reason?: string | undefined },
) {
  const state = await RunState.fromString(root, resume.state);
  for (const item of state.getInterruptions()) {
    if (resume.approved) state.approve(item);
    else {
      const why = resume.reason ? `: ${resume.reason}` : '';
      state.reject(item, { message: `A person rejected this tool call${why}. Continue without its result.` });
    }
  }
  return state;
}

/** Maps a failure of the run to the `run.failed` code and message clients see. */
function describeFailure(err: unknown, maxTurns: number): TurnError & { unexpected?: boolean } {
  if (err instanceof ModelCallError)
    return { code: 'model_error', message: err.message, transient: isTransient(err.cause) };
  if (err instanceof ModelUnavailableError) return { code: err.code, message: err.message };
  if (err instanceof CallRefused) return { code: err.code, message: err.message, details: err.details };
  if (err instanceof MaxTurnsExceededError) {
    return { code: 'max_turns', message: `the agent did not finish within ${maxTurns} model calls` };
  }
  if (err instanceof InputGuardrailTripwireTriggered || err instanceof OutputGuardrailTripwireTriggered) {
    const side = err instanceof InputGuardrailTripwireTriggered ? 'input' : 'output';
    const reason = guardrailReason(err.result) ?? 'a check of this agent did not pass';
    return { code: 'guardrail', message: `${side} guardrail: ${reason}` };
  }
  if (err instanceof ModelBehaviorError) return { code: 'model_behavior', message: err.message };
  return { code: 'internal_error', message: 'the run failed unexpectedly', unexpected: true };
}

export interface ExecutorTuning {
  /**
   * Whether a one-call turn skips the Runner (single-call.ts). On by default; tests turn it off to
   * compare the two ways.
   */
  singleCallTurns?: boolean;
}

/** Runs agent turns on the Agents SDK and reports them as execution events. */
export function createAgentTurnRunner(deps: GraphDeps, tuning: ExecutorTuning = {}) {
  const singleCall = tuning.singleCallTurns ?? true;
  const runner = new Runner({ tracingDisabled: true, traceIncludeSensitiveData: false });

  return async function runAgentTurn(input: RunTurnInput): Promise<TurnResult> {
    const started = performance.now();
    const maxTurns = input.maxTurns ?? DEFAULT_MAX_TURNS;
    const calls: ModelCallUsage[] = [];
    const emit = input.onEvent;
    const turn = new TurnRecorder(input.agent.id, emit);

    const finish = (outcome: TurnUsage['outcome'], extra: Partial<TurnResult> = {}): TurnResult => {
      if (outcome === 'failed' || outcome === 'cancelled') turn.keepPartial();
      const inputTokens = calls.reduce((n, c) => n + c.inputTokens, 0);
      const outputTokens = calls.reduce((n, c) => n + c.outputTokens, 0);
      const priced = calls.some((c) => c.costUsd !== undefined);
      // Summed in micro-USD: each call's cost has at most six decimals, so the sum is exact.
      const micros = calls.reduce((n, c) => n + Math.round((c.costUsd ?? 0) * 1e6), 0);
      const usage: TurnUsage = {
        model: input.agent.model,
        inputTokens,
        outputTokens,
        totalTokens: inputTokens + outputTokens,
        requests: calls.length,
        latencyMs: Math.round(performance.now() - started),
        ...(priced ? { costUsd: micros / 1e6 } : {}),
        outcome,
        calls,
      };
      return {
        outcome,
        text: turn.lastText,
        agentId: turn.current,
        messages: turn.messages,
        usage,
        ...extra,
      };
    };
    const fail = (code: string, message: string, outcome: 'failed' | 'cancelled' = 'failed') =>
      finish(outcome, { error: { code, message } });
    const complete = (outcome: 'completed' | 'waiting_approval', extra: Partial<TurnResult> = {}) =>
      finish(outcome, extra);

    try {
      const graph = await buildAgentGraph(
        deps,
        input.orgId,
        input.agent,
        input.signal,
        { record: (u) => calls.push(u), gate: input.gate },
        input.steps,
        input.run,
      );
      turn.graph = graph;
      const start = input.resume
        ? await resumedState(graph.root, input.resume)
        : [...historyToItems(input.history), { role: 'user' as const, content: input.input }];
      const options = {
        maxTurns,
        ...(input.signal ? { signal: input.signal } : {}),
        // A call to a tool the agent does not have is answered with an error, not run.
        toolNotFoundBehavior: 'return_error_to_model' as const,
        toolErrorFormatter: ({ kind, toolName, callId, defaultMessage }: ToolErrorFormatterArgs) => {
          if (kind !== 'tool_not_found') return defaultMessage;
          graph.failedCalls.add(callId);
          const wanted = graph.toolNames.get(toolName) ?? toolName;
          return wanted.startsWith('transfer_to_')
            ? `Error: agent ${turn.currentSlug()} cannot hand off with ${wanted}: not one of its hand-offs`
            : `Error: tool ${wanted} is not available to agent ${turn.currentSlug()}`;
        },
      };
      // Both kinds of result answer the same questions; only how the items arrive differs.
      let result: {
        cancelled: boolean;
        interruptions: unknown[];
        state: { toString(): string };
        finalOutput: unknown;
      };
      if (input.stream === false && !input.resume) {
        let agent = graph.root;
        // A turn that can only be one model call makes it without the Runner (single-call.ts);
        // a reply that is not plain text goes on to the Runner, primed with the call's response.
        if (singleCall && maxTurns >= 1 && isSingleCallAgent(agent)) {
          // Not resumed, so `start` is input items.
          const response = await callModelOnce(agent, start as AgentInputItem[], input.signal);
          const reply = plainReply(response, agent);
          if (reply) {
            turn.replay(reply, [], agent.name);
            if (input.signal?.aborted) return fail('cancelled', 'the run was cancelled', 'cancelled');
            return complete('completed');
          }
          agent = primedWith(agent, response);
        }
        const whole = await runner.run(agent, start, { ...options, stream: false });
        turn.replay(whole.newItems, whole.interruptions, whole.lastAgent?.name);
        result = {
          cancelled: false,
          interruptions: whole.interruptions,
          state: whole.state,
          // A paused run has no final output yet (the SDK warns on stderr when it is read).
          finalOutput: whole.interruptions.length ? undefined : whole.finalOutput,
        };
      } else {
        const streamed = await runner.run(graph.root, start, { ...options, stream: true });
        for await (const event of streamed) turn.handle(event);
        await streamed.completed;
        result = streamed;
      }
      if (result.cancelled || input.signal?.aborted)
        return fail('cancelled', 'the run was cancelled', 'cancelled');
      const approval = turn.approvals.at(-1);
      if (result.interruptions.length && approval)
        return complete('waiting_approval', { state: result.state.toString(), approval });
      if (typeof result.finalOutput === 'string') turn.lastText = result.finalOutput;
      return complete('completed');
    } catch (err) {
      if (input.signal?.aborted) return fail('cancelled', 'the run was cancelled', 'cancelled');
      const failure = describeFailure(err, maxTurns);
      // A reply its guardrail blocked is not kept, though a streamed one was already shown.
      if (err instanceof OutputGuardrailTripwireTriggered) turn.dropLastReply();
      if (failure.unexpected) {
        deps.log.error({ err, orgId: input.orgId, agentId: turn.current }, 'agent run failed');
      }
      const { unexpected: _unexpected, ...error } = failure;
      return finish('failed', { error });
    }
  };
}

export type RunAgentTurn = ReturnType<typeof createAgentTurnRunner>;
