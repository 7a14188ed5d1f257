import { AppError, Errors } from '../platform/errors.ts';

/**
 * The HTTP status a turn that failed with `code` answers with, on every chat surface: the model's
 * fault is a 502, not the client's. Routes use it; services report failures as outcomes.
 */
const FAILURE_STATUS: Record<string, number> = {
  model_error: 502,
  model_behavior: 502,
  model_rate_limited: 503,
  provider_not_configured: 503,
  unknown_provider: 422,
  invalid_model: 422,
  max_turns: 422,
  guardrail: 422,
  budget_exceeded: 402,
  model_timeout: 504,
  run_timeout: 504,
  cancelled: 409,
  agent_not_found: 404,
};

export const failureStatus = (code: string): number => FAILURE_STATUS[code] ?? 500;

/** The error envelope of a turn that failed; `details` name the run and conversation to look at. */
export function turnFailed(
  failure: { code: string; message: string; details?: unknown },
  run: { id: string; conversationId: string | null },
): AppError {
  const about = typeof failure.details === 'object' && failure.details !== null ? failure.details : {};
  return new AppError(failureStatus(failure.code), failure.code, failure.message, {
    ...about,
    runId: run.id,
    conversationId: run.conversationId,
  });
}

/** The server is shutting down mid-turn; the run carries on and can be followed elsewhere. */
export const turnInterrupted = (run: { id: string; conversationId: string | null }) =>
  new AppError(503, 'server_restarting', 'the server is restarting; the run carries on', {
    runId: run.id,
    conversationId: run.conversationId,
  });

/** The client went away mid-request; nobody reads this answer, the audit log records it. */
export const clientGone = () =>
  new AppError(499, 'client_closed_request', 'the client closed the connection before the reply');

/** The errors of the chat surfaces, one code each with one status. */
export const ChatErrors = {
  agentNotFound: (named: string) => Errors.notFound('agent', named),
  invalidMessage: (message: string) => new AppError(400, 'invalid_message', message),
  tooManyStreams: (scope: 'user' | 'org', open: number, limit: number) =>
    new AppError(
      429,
      'too_many_streams',
      scope === 'user'
        ? `you already have ${open} chat streams open, the most one user or API key may have at once; close one and try again`
        : `your organisation already has ${open} chat streams open, the most it may have at once; try again when one has finished`,
      { scope, limit },
    ),
  /** A completion request OpenAI's API would refuse, in its words; `param` names the field. */
  invalidCompletion: (code: string, message: string, param: string) =>
    new AppError(400, code, message, { param }),
  modelNotFound: (model: string) =>
    new AppError(
      404,
      'model_not_found',
      `The model \`${model}\` does not exist or you do not have access to it.`,
      {
        param: 'model',
      },
    ),
  restarting: () =>
    new AppError(503, 'server_restarting', 'the server is restarting; send the request again'),
};
