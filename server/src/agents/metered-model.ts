import type { Model, ModelRequest, ModelResponse, StreamEvent } from '@openai/agents';
import type { ModelCallUsage } from './events.ts';
import { ModelUnavailableError } from './models/providers.ts';

/** A model call that failed (the provider answered with an error, or `/fail`); the run fails with `model_error`. */
export class ModelCallError extends Error {
  readonly model: string;
  constructor(model: string, cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'ModelCallError';
    this.model = model;
  }
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

/** Aborts and set-up failures keep their identity; anything else is the model's failure. */
function classify(model: string, err: unknown, aborted: boolean): unknown {
  return aborted || err instanceof ModelUnavailableError ? err : new ModelCallError(model, err);
}

/**
 * Wraps a model so every call is measured (tokens, latency, outcome) for the usage records, and its
 * failures are told apart from the runtime's own.
 */
export class MeteredModel implements Model {
  readonly inner: Model;
  readonly agentId: string;
  readonly model: string;
  readonly record: (usage: ModelCallUsage) => void;

  constructor(
    inner: Model,
    info: { agentId: string; model: string },
    record: (usage: ModelCallUsage) => void,
  ) {
    this.inner = inner;
    this.agentId = info.agentId;
    this.model = info.model;
    this.record = record;
  }

  private done(
    started: number,
    outcome: ModelCallUsage['outcome'],
    tokens?: { in: number; out: number },
    err?: unknown,
  ) {
    this.record({
      agentId: this.agentId,
      model: this.model,
      inputTokens: tokens?.in ?? 0,
      outputTokens: tokens?.out ?? 0,
      latencyMs: Math.round(performance.now() - started),
      outcome,
      ...(outcome === 'error' ? { errorCode: modelErrorCode(err) } : {}),
    });
  }

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    const started = performance.now();
    try {
      const response = await this.inner.getResponse(request);
      this.done(started, 'ok', { in: response.usage.inputTokens, out: response.usage.outputTokens });
      return response;
    } catch (err) {
      const aborted = isAbort(err, request.signal);
      this.done(started, aborted ? 'cancelled' : 'error', undefined, err);
      throw classify(this.model, err, aborted);
    }
  }

  async *getStreamedResponse(request: ModelRequest): AsyncIterable<StreamEvent> {
    const started = performance.now();
    let settled = false;
    try {
      for await (const event of this.inner.getStreamedResponse(request)) {
        if (event.type === 'response_done') {
          settled = true;
          const { inputTokens, outputTokens } = event.response.usage;
          this.done(started, 'ok', { in: inputTokens, out: outputTokens });
        }
        yield event;
      }
    } catch (err) {
      if (settled) throw err;
      settled = true;
      const aborted = isAbort(err, request.signal);
      this.done(started, aborted ? 'cancelled' : 'error', undefined, err);
      throw classify(this.model, err, aborted);
    } finally {
      // The consumer stopped reading (a cancelled run) before the response finished.
      if (!settled) this.done(started, 'cancelled');
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
