import { AppError, Errors } from '../platform/errors.ts';

/** The errors of runs, one code each with one status. */
export const RunErrors = {
  notFound: (id: string) => Errors.notFound('run', id),
  agentNotFound: (id: string) => Errors.notFound('agent', id),
  conversationNotFound: (id: string) => Errors.notFound('conversation', id),
  finished: (id: string, status: string) =>
    new AppError(409, 'run_finished', `run ${id} already ${status}; there is nothing to cancel`),
};
