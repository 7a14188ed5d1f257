import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';

/** The one error type of the server. Anything else that reaches the handler is an unexpected 500. */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  readonly headers: Record<string, string>;
  constructor(
    status: number,
    code: string,
    message: string,
    details?: unknown,
    headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.headers = headers ?? {};
  }
}

/** Factories for the errors the API returns; codes are stable snake_case. */
export const Errors = {
  badRequest: (message: string, details?: unknown) => new AppError(400, 'bad_request', message, details),
  validation: (message: string, details?: unknown) =>
    new AppError(400, 'validation_failed', message, details),
  unauthorized: (message = 'authentication required') => new AppError(401, 'unauthorized', message),
  forbidden: (message = 'you do not have permission to do this') => new AppError(403, 'forbidden', message),
  notFound: (what: string, id?: string) =>
    new AppError(404, 'not_found', id ? `${what} ${id} was not found` : `${what} was not found`),
  conflict: (message: string, details?: unknown) => new AppError(409, 'conflict', message, details),
  tooManyRequests: (message: string, retryAfterSeconds: number) =>
    new AppError(
      429,
      'rate_limited',
      message,
      { retryAfterSeconds },
      { 'retry-after': String(retryAfterSeconds) },
    ),
  unavailable: (message: string, details?: unknown) => new AppError(503, 'unavailable', message, details),
  routeNotFound: (method: string, url: string) =>
    new AppError(404, 'route_not_found', `no route for ${method} ${url.split('?')[0]}`),
  tenantMismatch: () =>
    new AppError(403, 'tenant_mismatch', 'X-Tenant-Id does not match the organisation of your credential'),
};

export const errorEnvelopeSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'Stable snake_case code', example: 'not_found' }),
      message: z.string(),
      details: z.unknown().optional(),
      requestId: z.string(),
    }),
  })
  .meta({ id: 'ErrorEnvelope' });

export type ErrorEnvelope = z.infer<typeof errorEnvelopeSchema>;

export function envelope(requestId: string, code: string, message: string, details?: unknown): ErrorEnvelope {
  return { error: { code, message, ...(details === undefined ? {} : { details }), requestId } };
}

/** Fastify's own error codes mapped to ours, so framework failures use the same envelope. */
const FASTIFY_CODES: Record<string, { status: number; code: string; message?: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: {
    status: 400,
    code: 'invalid_json',
    message: 'the request body is not valid JSON',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    code: 'invalid_json',
    message: 'the request body is empty but content-type is application/json',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: 'payload_too_large',
    message: 'the request body is too large',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'unsupported_media_type',
    message: 'unsupported content-type',
  },
  FST_ERR_MAX_PARAM_LENGTH: {
    status: 414,
    code: 'uri_too_long',
    message: 'a path segment of the URL is too long',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'bad_request',
    message: 'content-length does not match the body',
  },
};

interface Rendered {
  status: number;
  code: string;
  message: string;
  details?: unknown;
}

/** Maps any thrown value to what the client sees; `unexpected` marks the ones to log as bugs. */
function render(err: FastifyError): Rendered & { unexpected?: boolean } {
  if (err instanceof AppError)
    return { status: err.status, code: err.code, message: err.message, details: err.details };
  if (hasZodFastifySchemaValidationErrors(err)) {
    const issues = err.validation.map((v) => ({
      path: `${err.validationContext ?? 'body'}${v.instancePath.replaceAll('/', '.')}`.replace(/\.$/, ''),
      message: v.message ?? 'is invalid',
    }));
    const first = issues[0];
    const message = first ? `${first.path}: ${first.message}` : 'invalid request';
    return { status: 400, code: 'validation_failed', message, details: { issues } };
  }
  if (isResponseSerializationError(err))
    return { status: 500, code: 'internal_error', message: '', unexpected: true };
  const known = err.code ? FASTIFY_CODES[err.code] : undefined;
  if (known) return { status: known.status, code: known.code, message: known.message ?? err.message };
  if (err.validation) return { status: 400, code: 'validation_failed', message: err.message };
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    // Other framework 4xx (e.g. bad URL encoding): keep the status, give a snake_case code.
    return { status: err.statusCode, code: 'bad_request', message: err.message };
  }
  return { status: 500, code: 'internal_error', message: '', unexpected: true };
}

/**
 * How much of a refused body is read and thrown away before the 413 goes out. A client such as Node's
 * fetch writes its whole body before it reads an answer: closing on it mid-body gives it a reset
 * (EPIPE) instead of the 413. Past this bound, or this time, the connection is closed regardless.
 */
const DISCARD_MAX_BYTES = 64 * 1024 * 1024;
const DISCARD_MAX_MS = 10_000;

/** Reads and drops what is left of a request body, within the bounds above. */
function discardBody(raw: FastifyRequest['raw']): Promise<void> {
  if (raw.complete || raw.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let seen = 0;
    const done = () => {
      clearTimeout(timer);
      raw.off('data', onData);
      raw.off('end', done);
      raw.off('error', done);
      raw.off('close', done);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > DISCARD_MAX_BYTES) done();
    };
    const timer = setTimeout(done, DISCARD_MAX_MS);
    raw.on('data', onData);
    raw.once('end', done);
    raw.once('error', done);
    raw.once('close', done);
    raw.resume();
  });
}

/** Whether an error is answered as a 5xx (a fault of the server, not of the request). */
export function isServerFault(err: FastifyError): boolean {
  return render(err).status >= 500;
}

/** Renders every error as the API envelope. Unexpected errors are logged in full and answered with a bare 500. */
export function errorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' && !request.raw.complete) {
    void discardBody(request.raw).then(() => send(err, request, reply));
    return;
  }
  send(err, request, reply);
}

function send(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const out = render(err);
  if (out.unexpected) {
    request.log.error({ err }, 'unexpected error');
    out.message = 'internal server error';
  } else if (out.status >= 500) {
    request.log.error({ err }, out.message);
  }
  if (err instanceof AppError) reply.headers(err.headers);
  // Router errors come before the hooks that set it.
  reply.header('x-request-id', request.id);
  void reply.status(out.status).send(envelope(request.id, out.code, out.message, out.details));
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  const err = Errors.routeNotFound(request.method, request.url);
  void reply.status(err.status).send(envelope(request.id, err.code, err.message));
}

/**
 * A loggable view of an error that never carries query parameters: Drizzle puts them (password
 * hashes, token hashes) into its error message, so its errors are rebuilt from the query and cause.
 */
export function safeErrorView(err: unknown): {
  type: string;
  message: string;
  stack: string;
  cause?: unknown;
} {
  if (!(err instanceof Error)) return { type: typeof err, message: String(err), stack: '' };
  const query = (err as { query?: unknown }).query;
  if (typeof query === 'string' && 'params' in err) {
    return {
      type: err.name,
      message: `query failed: ${query}`,
      stack: '',
      ...(err.cause ? { cause: safeErrorView(err.cause) } : {}),
    };
  }
  return {
    type: err.name,
    message: err.message,
    stack: err.stack ?? '',
    ...(err.cause ? { cause: safeErrorView(err.cause) } : {}),
  };
}
