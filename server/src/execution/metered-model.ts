import type { Model, ModelRequest, ModelResponse, StreamEvent } from '@openai/agents';
import { ModelUnavailableError } from '../providers/models/resolver.ts';
import type { ModelCallUsage } from './events.ts';

/** A model call that failed (the provider answered with an error, or `/fail`); the run fails with `model_error`. */
export class ModelCallError extends Error {
  readonly model: string;
  constructor(model: string, cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'ModelCallError';
    this.model = model;
  }
}

/** The gate refused a call before it was made (a budget with no room); the turn fails with its code. */
export class CallRefused extends Error {
  readonly code: string;
  readonly details: unknown;
  constructor(code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'CallRefused';
    this.code = code;
    this.details = details;
  }
}

/** What is known of a model call before it is made: who makes it, on which model, with what request. */
export interface CallIntent {
  agentId: string;
  model: string;
  request: ModelRequest;
}

/**
 * Asked before every model call of a turn (the usage domain prices calls and reserves budget here).
 * `admit` refuses a call by throwing; otherwise it answers how to settle the call once its usage is
 * known (also for a call that failed or was cancelled, which settles with what it used): settling
 * answers the usage to record, priced.
 */
export interface CallGate {
  admit(intent: CallIntent): Promise<(usage: ModelCallUsage) => ModelCallUsage>;
}

function isAbort(err: unknown, signal: AbortSignal | undefined): boolean {
  return !!signal?.aborted || (err instanceof Error && err.name === 'AbortError');
}

/**
 * The usage record's error code: a set-up failure keeps its own, a provider that throttles or times
 * out is told apart from any other failure of the model.
 */
export function modelErrorCode(err: unknown): string {
  if (err instanceof ModelUnavailableError) return err.code;
  const { status, name } = (err ?? {}) as { status?: unknown; name?: unknown };
  if (status === 429) return 'model_rate_limited';
  if (status === 408 || (typeof name === 'string' && /timeout/i.test(name))) return 'model_timeout';
  return 'model_error';
}

/** What a failed call says, short enough to keep with its usage record. */
function errorMessageOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.length > 500 ? `${message.slice(0, 499)}…` : message;
}

/** Aborts and set-up failures keep their identity; anything else is the model's failure. */
function classify(model: string, err: unknown, aborted: boolean): unknown {
  return aborted || err instanceof ModelUnavailableError ? err : new ModelCallError(model, err);
}

/** The usage a model reports for one call, as a whole response or a stream's last event carries it. */
interface ReportedUsage {
  inputTokens?: number | undefined;
  outputTokens?: number | undefined;
  inputTokensDetails?: unknown;
}

/** Cached input tokens as the SDK reports them (OpenAI's prompt cache, Anthropic's cache reads). */
function cachedOf(usage: ReportedUsage): number {
  const details = usage.inputTokensDetails as
    | Array<Record<string, number>>
    | Record<string, number>
    | undefined;
  const cached = (Array.isArray(details) ? details[0] : details)?.cached_tokens ?? 0;
  return Number.isFinite(cached) && cached > 0 ? cached : 0;
}

/**
 * Wraps a model so every call passes the gate first and is measured (tokens, latency, outcome) for
 * the usage records, and its failures are told apart from the runtime's own.
 */
export class MeteredModel implements Model {
  readonly inner: Model;
  readonly agentId: string;
  readonly model: string;
  readonly record: (usage: ModelCallUsage) => void;
  readonly gate: CallGate | undefined;

  constructor(
    inner: Model,
    info: { agentId: string; model: string },
    record: (usage: ModelCallUsage) => void,
    gate?: CallGate,
  ) {
    this.inner = inner;
    this.agentId = info.agentId;
    this.model = info.model;
    this.record = record;
    this.gate = gate;
  }

  private async admit(request: ModelRequest) {
    return this.gate ? this.gate.admit({ agentId: this.agentId, model: this.model, request }) : undefined;
  }

  private done(
    settle: ((usage: ModelCallUsage) => ModelCallUsage) | undefined,
    started: number,
    outcome: ModelCallUsage['outcome'],
    usage?: ReportedUsage,
    err?: unknown,
  ) {
    const cached = usage ? cachedOf(usage) : 0;
    const call: ModelCallUsage = {
      agentId: this.agentId,
      model: this.model,
      inputTokens: usage?.inputTokens ?? 0,
      ...(cached ? { cachedInputTokens: cached } : {}),
      outputTokens: usage?.outputTokens ?? 0,
      latencyMs: Math.round(performance.now() - started),
      outcome,
      ...(outcome === 'error' ? { errorCode: modelErrorCode(err), errorMessage: errorMessageOf(err) } : {}),
    };
    this.record(settle ? settle(call) : call);
  }

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    const settle = await this.admit(request);
    const started = performance.now();
    try {
      const response = await this.inner.getResponse(request);
      this.done(settle, started, 'ok', response.usage);
      return response;
    } catch (err) {
      const aborted = isAbort(err, request.signal);
      this.done(settle, started, aborted ? 'cancelled' : 'error', undefined, err);
      throw classify(this.model, err, aborted);
    }
  }

  async *getStreamedResponse(request: ModelRequest): AsyncIterable<StreamEvent> {
    const settle = await this.admit(request);
    const started = performance.now();
    let settled = false;
    try {
      for await (const event of this.inner.getStreamedResponse(request)) {
        if (event.type === 'response_done') {
          settled = true;
          this.done(settle, started, 'ok', event.response.usage);
        }
        yield event;
      }
    } catch (err) {
      if (settled) throw err;
      settled = true;
      const aborted = isAbort(err, request.signal);
      this.done(settle, started, aborted ? 'cancelled' : 'error', undefined, err);
      throw classify(this.model, err, aborted);
    } finally {
      // The consumer stopped reading (a cancelled run) before the response finished.
      if (!settled) this.done(settle, started, 'cancelled');
    }
  }
}

/** Stands in for a model that could not be set up, so the run fails when (and only if) it is called. */
export class UnavailableModel implements Model {
  readonly error: Error;
  constructor(error: Error) {
    this.error = error;
  }
  async getResponse(): Promise<ModelResponse> {
    throw this.error;
  }
  // biome-ignore lint/correctness/useYield: it fails before producing anything, by design
  async *getStreamedResponse(): AsyncIterable<StreamEvent> {
    throw this.error;
  }
}
