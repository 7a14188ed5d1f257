import type { ErrorEnvelope } from '@switchboard/client';

/**
 * Every failure the console shows: the server's envelope when there is one (code, message, request id),
 * otherwise what went wrong on the way (network, timeout) in the same shape.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | undefined;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, requestId?: string, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.details = details;
  }
}

export function isEnvelope(value: unknown): value is ErrorEnvelope {
  if (typeof value !== 'object' || value === null) return false;
  const error = (value as { error?: unknown }).error;
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { message?: unknown }).message === 'string'
  );
}

/** Builds the error of a failed answer from its body (envelope or anything else) and response. */
export function errorFromAnswer(body: unknown, response: Response): ApiError {
  const headerId = response.headers.get('x-request-id') ?? undefined;
  if (isEnvelope(body)) {
    const e = body.error;
    return new ApiError(response.status, e.code, e.message, e.requestId || headerId, e.details);
  }
  const text = typeof body === 'string' && body.trim() ? body.trim().slice(0, 200) : response.statusText;
  return new ApiError(
    response.status,
    `http_${response.status}`,
    `the server answered ${response.status}${text ? ` (${text})` : ''}`,
    headerId,
  );
}

/** A readable sentence for any thrown value, for error states and toasts. */
export function describeError(err: unknown): { message: string; code?: string; requestId?: string } {
  if (err instanceof ApiError) {
    return {
      message: friendly(err),
      code: err.code,
      ...(err.requestId ? { requestId: err.requestId } : {}),
    };
  }
  if (err instanceof Error) return { message: err.message };
  return { message: String(err) };
}

/** A server message as a sentence: `inbox item x was already rejected` -> `Inbox item x was already rejected`. */
export const sentence = (message: string) => message.charAt(0).toUpperCase() + message.slice(1);

function friendly(err: ApiError): string {
  if (err.status === 403) return `You do not have access to this: ${err.message}`;
  if (err.code === 'network_error') return 'The server could not be reached. Check your connection.';
  if (err.code === 'timeout') return err.message;
  return sentence(err.message);
}
