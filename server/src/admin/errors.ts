import { AppError, Errors } from '../platform/errors.ts';

/** The errors of the control room, one code each with one status. */
export const AdminErrors = {
  notOperator: () =>
    new AppError(
      403,
      'not_operator',
      'the control room belongs to the organisation that operates this server; sign in to it',
    ),
  restartUnavailable: () =>
    Errors.unavailable('this server runs without `switchboard serve`, so nothing would start it again'),
};
