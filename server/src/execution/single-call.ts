import {
  type Agent,
  type AgentInputItem,
  getOrCreateTrace,
  type Model,
  type ModelRequest,
  type ModelResponse,
  RunContext,
  RunMessageOutputItem,
  type StreamEvent,
} from '@openai/agents';

/**
 * One-call turns.
 *
 * An agent without tools, hand-offs or guardrails, asked for a whole reply (not streamed), makes
 * exactly one model call and answers with its text. For such a turn the SDK's Runner (run state,
 * session persistence, sandbox, guardrail and span bookkeeping) only carries the call, and that
 * carrying cost ~0.4 ms a call on the benchmark machine: half of Switchboard's own time on a
 * non-streaming `/v1/chat/completions`. So the call is made on the agent's model directly, with the
 * request the Runner builds for it (single-call.integration.test.ts compares the two on the wire).
 *
 * Only a plain text answer is finished here. Any other response (a tool call the agent does not
 * have, a refusal, no message at all) goes to the Runner as if it had made that call itself
 * (`primedWith`), so what happens next is still decided by the SDK, without asking the model twice.
 */

/** True when a non-streaming turn of `agent` can only be one model call. */
export function isSingleCallAgent(agent: Agent): boolean {
  return (
    agent.tools.length === 0 &&
    agent.handoffs.length === 0 &&
    agent.inputGuardrails.length === 0 &&
    agent.outputGuardrails.length === 0 &&
    agent.outputType === 'text' &&
    agent.prompt === undefined &&
    typeof agent.model !== 'string'
  );
}

/** Calls the agent's model once, with the request the SDK's Runner would send for its first turn. */
export async function callModelOnce(
  agent: Agent,
  input: AgentInputItem[],
  signal: AbortSignal | undefined,
): Promise<ModelResponse> {
  const model = agent.model as Model;
  const request: ModelRequest = {
    systemInstructions: await agent.getSystemPrompt(new RunContext()),
    overridePromptModel: true,
    input,
    modelSettings: { ...agent.modelSettings },
    tools: [],
    toolsExplicitlyProvided: false,
    outputType: 'text',
    handoffs: [],
    tracing: false,
    ...(signal ? { signal } : {}),
  };
  // The SDK's models open a generation span, which needs a trace around them (a no-op one here:
  // tracing is off for the whole SDK, see executor.ts).
  return getOrCreateTrace(() => model.getResponse(request));
}

/**
 * The response as the turn's items when it is a finished text reply: only assistant messages made of
 * text. Anything else is for the Runner to judge; undefined then.
 */
export function plainReply(response: ModelResponse, agent: Agent): RunMessageOutputItem[] | undefined {
  const { output } = response;
  if (output.length === 0) return undefined;
  const items: RunMessageOutputItem[] = [];
  for (const item of output) {
    if (item.type !== 'message' || item.role !== 'assistant') return undefined;
    if (item.content.length === 0 || item.content.some((part) => part.type !== 'output_text'))
      return undefined;
    items.push(new RunMessageOutputItem(item, agent));
  }
  return items;
}

/** Answers the first call with a response already received; every later call goes to `inner`. */
class PrimedModel implements Model {
  readonly inner: Model;
  #first: ModelResponse | undefined;

  constructor(inner: Model, first: ModelResponse) {
    this.inner = inner;
    this.#first = first;
  }

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    const first = this.#first;
    if (!first) return this.inner.getResponse(request);
    this.#first = undefined;
    return first;
  }

  getStreamedResponse(request: ModelRequest): AsyncIterable<StreamEvent> {
    return this.inner.getStreamedResponse(request);
  }
}

/** The agent whose next model call is answered with `response` (the call already made). */
export function primedWith(agent: Agent, response: ModelResponse): Agent {
  return agent.clone({ model: new PrimedModel(agent.model as Model, response) });
}
