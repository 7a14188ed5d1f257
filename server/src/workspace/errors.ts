import { AppError, Errors } from '../platform/errors.ts';

/** The errors of the inbox, one code each with one status. */
export const InboxErrors = {
  notFound: (id: string) => Errors.notFound('inbox item', id),
  notAnApproval: (id: string) =>
    new AppError(409, 'not_an_approval', `inbox item ${id} is not an approval request`),
  alreadyDecided: (id: string, decision: string | null) =>
    new AppError(409, 'already_decided', `inbox item ${id} was already ${decision ?? 'closed'}`),
  runNotWaiting: (runId: string) =>
    new AppError(409, 'run_not_waiting', `run ${runId} is no longer waiting for approval`),
  approvalPending: (id: string) =>
    new AppError(409, 'approval_pending', `inbox item ${id} waits for a decision; approve or reject it`),
};
