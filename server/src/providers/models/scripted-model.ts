import { setImmediate as nextTick, setTimeout as sleep } from 'node:timers/promises';
import type {
  AgentInputItem,
  AgentOutputItem,
  AssistantMessageItem,
  FunctionCallItem,
  Model,
  ModelRequest,
  ModelResponse,
  StreamEvent,
} from '@openai/agents';
import { Usage } from '@openai/agents';
import { newId } from '../../platform/ids.ts';
import { modelToolName } from '../../tools/registry.ts';
import { isCallStep, parseScript, type Step, stepText, summariseToolResult, wordDeltas } from './script.ts';

/** What `/fail` throws: a model call that failed, with the message the script gave. */
export class ScriptedModelFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScriptedModelFailure';
  }
}

/** The SDK names a hand-off to agent `slug` like this (see `handoff()` in @openai/agents). */
export function handoffToolName(slug: string): string {
  return `transfer_to_${modelToolName(slug)}`;
}

/** The function name a call step calls. */
function callName(step: Extract<Step, { kind: 'tool' | 'handoff' }>): string {
  return step.kind === 'tool' ? modelToolName(step.name) : handoffToolName(step.slug);
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: { text?: unknown }) => (typeof part?.text === 'string' ? part.text : ''))
    .join('');
}

function outputText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (output && typeof output === 'object' && 'text' in output && typeof output.text === 'string') {
    return output.text;
  }
  return contentText(output);
}

/**
 * Where this call stands in the latest user message: which step comes next, and the tool result
 * (if the previous call was a tool) that the reply should summarise first.
 * The model is stateless: it reads its progress from the calls already in the input.
 */
export function planFromInput(input: string | AgentInputItem[]): {
  steps: Step[];
  next: number;
  summary: string | undefined;
} {
  const items: AgentInputItem[] = typeof input === 'string' ? [{ role: 'user', content: input }] : input;
  let lastUser = -1;
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i] as { role?: unknown };
    if (item.role === 'user') {
      lastUser = i;
      break;
    }
  }
  const message = lastUser >= 0 ? contentText((items[lastUser] as { content: unknown }).content) : '';
  const steps = parseScript(message);
  const after = items.slice(lastUser + 1);
  // A call step is done when a call of its name follows the earlier ones. Calls of other names
  // (another model's, before a hand-off to this one) are not ours and are skipped.
  const calls = after.flatMap((item) => (item.type === 'function_call' ? [item.name] : []));
  let next = 0;
  for (let i = 0, c = 0; i < steps.length; i++) {
    const step = steps[i]!;
    if (!isCallStep(step)) continue;
    const found = calls.indexOf(callName(step), c);
    if (found < 0) break;
    c = found + 1;
    next = i + 1;
  }
  const last = after.at(-1);
  const previous = steps[next - 1];
  const summary =
    last?.type === 'function_call_result' && previous?.kind === 'tool' && last.name === callName(previous)
      ? summariseToolResult(previous.name, outputText(last.output))
      : undefined;
  return { steps, next, summary };
}

function countWords(request: ModelRequest): number {
  const words = (text: string) => text.split(/\s+/).filter(Boolean).length;
  let n = words(request.systemInstructions ?? '');
  const items = typeof request.input === 'string' ? [request.input] : request.input;
  for (const item of items) {
    if (typeof item === 'string') n += words(item);
    else if ('content' in item) n += words(contentText(item.content));
    else if (item.type === 'function_call') n += words(item.arguments);
    else if (item.type === 'function_call_result') n += words(outputText(item.output));
  }
  return n;
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('the model call was aborted', 'AbortError');
}

/**
 * `builtin:scripted`: a deterministic, offline model implementing the SDK's `Model` interface, so
 * the real agent loop (tools, hand-offs, approvals, streaming) runs around it. Usage counts words:
 * input words of the request, output words streamed plus one per call.
 */
export class ScriptedModel implements Model {
  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    for await (const event of this.getStreamedResponse(request)) {
      if (event.type === 'response_done') {
        const { usage, output, id } = event.response;
        return { usage: new Usage(usage), output: output as AgentOutputItem[], responseId: id };
      }
    }
    throw new ScriptedModelFailure('the scripted model ended without a response');
  }

  async *getStreamedResponse(request: ModelRequest): AsyncIterable<StreamEvent> {
    const signal = request.signal;
    if (signal?.aborted) throw abortError(signal);
    const { steps, next, summary } = planFromInput(request.input);
    yield { type: 'response_started' };

    // Reply segments go out one word per delta; segments are joined by new lines. Like a real model,
    // it stops at the request's max tokens (a word is a token here).
    const parts: string[] = [];
    let pending: string[] = [];
    let emitted = 0;
    let room = request.modelSettings?.maxTokens ?? Number.POSITIVE_INFINITY;
    const add = (segment: string | undefined) => {
      const trimmed = segment?.trim();
      if (!trimmed || room <= 0) return;
      const deltas = wordDeltas(parts.length ? `\n${trimmed}` : trimmed).slice(0, room);
      room -= deltas.length;
      pending.push(...deltas);
      parts.push(deltas.join('').trim());
    };
    async function* flush(): AsyncGenerator<StreamEvent> {
      const words = pending;
      pending = [];
      for (const delta of words) {
        if (signal?.aborted) throw abortError(signal);
        yield { type: 'output_text_delta', delta };
        // Let I/O run during long replies, so a disconnect or cancel is noticed mid-stream.
        if (++emitted % 64 === 0) await nextTick();
      }
    }

    add(summary);
    let call: Extract<Step, { kind: 'tool' | 'handoff' }> | undefined;
    for (let i = next; i < steps.length && !call; i++) {
      const step = steps[i]!;
      if (isCallStep(step)) call = step;
      else if (step.kind === 'fail') {
        yield* flush();
        throw new ScriptedModelFailure(step.message);
      } else if (step.kind === 'sleep') {
        yield* flush();
        await sleep(step.ms, undefined, signal ? { signal } : {});
      } else add(stepText(step));
    }
    yield* flush();

    const output: Array<AssistantMessageItem | FunctionCallItem> = [];
    const text = parts.join('\n');
    // Without a call the reply ends the turn, so it is sent even when empty (`/sleep` alone).
    if (text || !call) {
      output.push({
        type: 'message',
        id: newId('msg'),
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text }],
      });
    }
    if (call) {
      output.push({
        type: 'function_call',
        id: newId('fc'),
        callId: newId('call'),
        name: callName(call),
        arguments: call.kind === 'tool' ? call.args : '{}',
        status: 'completed',
      });
    }
    const inputTokens = countWords(request);
    const outputTokens = Math.min(
      wordDeltas(text).length + (call ? 1 : 0),
      request.modelSettings?.maxTokens ?? Number.POSITIVE_INFINITY,
    );
    yield {
      type: 'response_done',
      response: {
        id: newId('resp'),
        usage: { requests: 1, inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
        output,
      },
    };
  }
}
