import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import { z } from 'zod';
import type { TurnMessage, TurnUsage } from '../execution/events.ts';
import { ChatErrors } from './errors.ts';
import { MAX_MESSAGE_CHARS } from './schema.ts';

/**
 * OpenAI's Chat Completions wire format, for the OpenAI-compatible surface: the request as OpenAI
 * clients send it (unknown fields allowed: clients send many we do not use), and the exact
 * `chat.completion` / `chat.completion.chunk` objects they read back.
 */

const contentPart = z.looseObject({ type: z.string(), text: z.string().optional() });

const completionMessage = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: z.union([z.string(), z.array(contentPart)]).nullish(),
  name: z.string().max(200).optional(),
  tool_calls: z
    .array(
      z.looseObject({
        id: z.string().max(200),
        function: z.looseObject({ name: z.string().max(200), arguments: z.string() }),
      }),
    )
    .nullish(),
  tool_call_id: z.string().max(200).nullish(),
});

export const completionRequest = z
  .looseObject({
    model: z
      .string()
      .min(1)
      .max(200)
      .meta({ description: 'The slug of one of your agents (GET /v1/models)' }),
    messages: z
      .array(completionMessage)
      .min(1)
      .max(10_000)
      .meta({
        description:
          'The last message must be from the user: it is the input of the turn. Earlier user, assistant and ' +
          "tool messages are the history the agent sees. System and developer messages are not used: the agent's " +
          'own instructions are its system prompt.',
      }),
    stream: z.boolean().nullish(),
    stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
    n: z.number().int().nullish().meta({ description: 'Only 1 is supported' }),
    tools: z.array(z.unknown()).nullish().meta({
      description: "Not supported: an agent's tools are its own (GET /api/v1/tools); send none",
    }),
  })
  .meta({
    id: 'ChatCompletionRequest',
    description:
      "OpenAI's chat completion request. Sampling settings (temperature, max_tokens, ...) are the " +
      "agent's own and are ignored here.",
  });

export type CompletionRequest = z.infer<typeof completionRequest>;
type CompletionMessage = z.infer<typeof completionMessage>;

const usageSchema = z.object({
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
});

export const completionResponse = z
  .object({
    id: z.string(),
    object: z.literal('chat.completion'),
    created: z.number().int(),
    model: z.string(),
    choices: z.array(
      z.object({
        index: z.number().int(),
        message: z.object({
          role: z.literal('assistant'),
          content: z.string().nullable(),
          refusal: z.string().nullable(),
          annotations: z.array(z.unknown()),
        }),
        logprobs: z.null(),
        finish_reason: z.enum(['stop', 'length', 'tool_calls', 'content_filter', 'function_call']),
      }),
    ),
    usage: usageSchema,
  })
  .meta({ id: 'ChatCompletion' });

export const completionChunk = z
  .object({
    id: z.string(),
    object: z.literal('chat.completion.chunk'),
    created: z.number().int(),
    model: z.string(),
    choices: z.array(
      z.object({
        index: z.number().int(),
        delta: z.object({ role: z.literal('assistant').optional(), content: z.string().optional() }),
        logprobs: z.null(),
        finish_reason: z.enum(['stop']).nullable(),
      }),
    ),
    usage: usageSchema.nullish(),
  })
  .meta({
    id: 'ChatCompletionChunk',
    description: 'One `data:` line of a streamed completion; the stream ends with `data: [DONE]`',
  });

export const modelList = z
  .object({
    object: z.literal('list'),
    data: z.array(
      z.object({
        id: z.string().meta({ description: 'The agent slug' }),
        object: z.literal('model'),
        created: z.number().int(),
        owned_by: z.string(),
      }),
    ),
  })
  .meta({ id: 'ModelList' });

/** OpenAI's error object; every failure of this surface answers with it. */
export const openaiError = z
  .object({
    error: z.object({
      message: z.string(),
      type: z.string(),
      param: z.string().nullable(),
      code: z.string().nullable(),
    }),
  })
  .meta({ id: 'OpenAIError' });

export type OpenAIErrorBody = z.infer<typeof openaiError>;

const invalid = ChatErrors.invalidCompletion;

function textOf(message: CompletionMessage, index: number): string {
  const content = message.content;
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  return content
    .map((part, p) => {
      if (part.type !== 'text' || typeof part.text !== 'string') {
        throw invalid(
          'unsupported_content',
          `messages[${index}].content[${p}] is of type ${part.type}; only text is supported`,
          `messages[${index}].content`,
        );
      }
      return part.text;
    })
    .join('');
}

/**
 * Splits OpenAI messages into the turn's input (the last message, which must be the user's) and the
 * history before it. Assistant tool calls and tool results are kept as history (paired by call id);
 * system, developer and function messages are left out: the agent's instructions are its system prompt.
 */
export function turnFromMessages(messages: CompletionMessage[]): { input: string; context: TurnMessage[] } {
  const lastIndex = messages.length - 1;
  const last = messages[lastIndex]!;
  if (last.role !== 'user') {
    throw invalid(
      'invalid_messages',
      `the last message must be from the user (it is the input of the turn); it is from the ${last.role}`,
      `messages[${lastIndex}].role`,
    );
  }
  const input = textOf(last, lastIndex);
  if (!input.trim()) {
    throw invalid('invalid_messages', 'the last user message has no text', `messages[${lastIndex}].content`);
  }
  if (input.length > MAX_MESSAGE_CHARS) {
    throw invalid(
      'invalid_messages',
      `the last user message is longer than ${MAX_MESSAGE_CHARS} characters`,
      `messages[${lastIndex}].content`,
    );
  }
  const context: TurnMessage[] = [];
  const toolNames = new Map<string, string>();
  messages.slice(0, lastIndex).forEach((m, i) => {
    if (m.role === 'user') context.push({ role: 'user', agentId: null, content: textOf(m, i), data: {} });
    if (m.role === 'assistant') {
      const text = textOf(m, i);
      if (text) context.push({ role: 'assistant', agentId: null, content: text, data: {} });
      for (const call of m.tool_calls ?? []) {
        toolNames.set(call.id, call.function.name);
        context.push({
          role: 'tool_call',
          agentId: null,
          content: call.function.arguments,
          data: { toolName: call.function.name, callId: call.id },
        });
      }
    }
    if (m.role === 'tool' && m.tool_call_id) {
      context.push({
        role: 'tool_result',
        agentId: null,
        content: textOf(m, i),
        data: { toolName: toolNames.get(m.tool_call_id) ?? 'unknown', callId: m.tool_call_id },
      });
    }
  });
  return { input, context };
}

/** Refuses what this surface cannot honour, before any run starts. */
export function checkRequest(body: CompletionRequest): void {
  if (body.n !== undefined && body.n !== null && body.n !== 1) {
    throw invalid('unsupported_parameter', 'n must be 1: an agent gives one reply per turn', 'n');
  }
  if (body.tools?.length) {
    throw invalid(
      'unsupported_parameter',
      'tools are not supported: an agent calls its own tools (see GET /api/v1/tools); send none',
      'tools',
    );
  }
}

export function completionUsage(usage: TurnUsage | undefined): CompletionUsage {
  const prompt = usage?.inputTokens ?? 0;
  const completion = usage?.outputTokens ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

export function completion(args: {
  id: string;
  created: number;
  model: string;
  content: string;
  usage: TurnUsage | undefined;
}): z.infer<typeof completionResponse> {
  return {
    id: args.id,
    object: 'chat.completion',
    created: args.created,
    model: args.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: args.content, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: completionUsage(args.usage),
  } satisfies ChatCompletion;
}

/** One streamed chunk: a content delta, the first (role) chunk, or the last (finish_reason). */
export function chunk(
  base: { id: string; created: number; model: string },
  delta: { role?: 'assistant'; content?: string },
  finish: 'stop' | null = null,
): ChatCompletionChunk {
  return {
    ...base,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  };
}

/** The usage chunk sent last when `stream_options.include_usage` is set: no choices. */
export function usageChunk(
  base: { id: string; created: number; model: string },
  usage: TurnUsage | undefined,
): ChatCompletionChunk {
  return { ...base, object: 'chat.completion.chunk', choices: [], usage: completionUsage(usage) };
}

/**
 * Joins the assistant messages of a turn into one completion: a tool-using or handing-off agent may
 * speak more than once, and every reply is kept, a blank line between them. Streaming and not give
 * the same text: deltas pass through, and the blank line comes before the first delta of a later
 * message.
 */
export function createContentJoiner() {
  let spoke = false;
  let between = false;
  const parts: string[] = [];
  return {
    /** The text to stream for a delta. */
    delta(text: string): string {
      if (!text) return '';
      const out = between ? `\n\n${text}` : text;
      between = false;
      spoke = true;
      return out;
    },
    /** A message finished; the next one is separated from it. */
    completed(text: string): void {
      if (!text) return;
      parts.push(text);
      if (spoke) between = true;
    },
    /** The whole completion (non-streaming). */
    text(): string {
      return parts.join('\n\n');
    },
  };
}

/** OpenAI's error `type` for an HTTP status, as its SDKs name their errors. */
export function errorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return status === 502 || status === 504 ? 'api_error' : 'server_error';
  return 'invalid_request_error';
}

export function errorBody(
  status: number,
  code: string,
  message: string,
  param: string | null,
): OpenAIErrorBody {
  // OpenAI says a spent quota this way; its SDKs and tools look for it.
  const type = code === 'budget_exceeded' ? 'insufficient_quota' : errorType(status);
  return { error: { message, type, param, code } };
}
