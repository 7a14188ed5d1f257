import { AppError, Errors } from '../platform/errors.ts';

/** The errors of error projects, issues and ingest, one code each with one status. */
export const ErrorTrackerErrors = {
  projectNotFound: (id: string) => Errors.notFound('error project', id),
  issueNotFound: (id: string) => Errors.notFound('issue', id),
  unknownAssignee: (id: string) =>
    new AppError(400, 'unknown_assignee', `no member ${id} in this organisation; assign one of its members`, {
      assignee: id,
    }),
  /** Ingest: no key, or one that names no project. */
  invalidKey: (why: string) => new AppError(401, 'invalid_key', why),
  /** Ingest: the key belongs to another project than the one in the path. */
  keyProjectMismatch: (projectId: string) =>
    new AppError(401, 'invalid_key', `this key does not belong to project ${projectId}`),
  rateLimited: (projectId: string, retryAfterSeconds: number) =>
    new AppError(
      429,
      'rate_limited',
      `project ${projectId} is over its rate limit; try again in ${retryAfterSeconds} s`,
      { retryAfterSeconds },
      {
        'retry-after': String(retryAfterSeconds),
        // Sentry SDKs read this: back off for every category of this project.
        'x-sentry-rate-limits': `${retryAfterSeconds}::project:project_quota`,
      },
    ),
  tooLarge: (limit: number) =>
    new AppError(413, 'payload_too_large', `the event is larger than ${limit} bytes once decompressed`, {
      limitBytes: limit,
    }),
  badEncoding: (encoding: string) =>
    new AppError(
      415,
      'unsupported_encoding',
      `content-encoding ${encoding.slice(0, 40)} is not supported; use gzip or deflate`,
    ),
  corrupt: (encoding: string) =>
    new AppError(400, 'invalid_compression', `the body is not valid ${encoding} data`),
  invalid: (code: string, message: string) => new AppError(400, code, message),
};
