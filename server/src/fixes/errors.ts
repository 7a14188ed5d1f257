import { AppError, Errors } from '../platform/errors.ts';

/** The errors of fixes and of the repository access behind them, one code each with one status. */
export const FixErrors = {
  notFound: (id: string) => Errors.notFound('fix', id),
  issueNotFound: (id: string) => Errors.notFound('issue', id),
  agentNotFound: (id: string) => Errors.notFound('agent', id),
  invalidRepoPath: (raw: string, reason: string) =>
    new AppError(400, 'invalid_path', `invalid repository path "${raw.slice(0, 200)}": ${reason}`),
  repositoryNotConfigured: (projectId: string) =>
    new AppError(
      409,
      'repository_not_configured',
      `error project ${projectId} has no repository; set its repository {path, branch} first`,
    ),
  repositoryNotAllowed: (path: string, roots: string[]) =>
    new AppError(
      403,
      'repository_not_allowed',
      roots.length === 0
        ? `repository ${path} cannot be used: the operator allows no repository folders (FIX_REPOSITORY_ROOTS is empty)`
        : `repository ${path} is not under a folder the operator allows (FIX_REPOSITORY_ROOTS)`,
      { allowedRoots: roots.length },
    ),
  repositoryNotFound: (path: string, why: string) =>
    new AppError(409, 'repository_not_found', `repository ${path} cannot be opened: ${why}`),
  branchNotFound: (branch: string) =>
    new AppError(409, 'branch_not_found', `branch ${branch} does not exist in the repository`),
  pathNotFound: (path: string) => Errors.notFound('repository path', path),
  notAFile: (path: string, kind: string) =>
    new AppError(409, 'not_a_file', `${path} is a ${kind}, not a regular file`),
  tooLarge: (path: string, size: number, max: number) =>
    new AppError(413, 'too_large', `${path} is ${size} bytes; files over ${max} bytes are not read`),
  binary: (path: string) => new AppError(409, 'binary_file', `${path} is a binary file`),
  findNotUnique: (path: string, count: number) =>
    new AppError(
      409,
      'patch_conflict',
      count === 0
        ? `the text to replace does not occur in ${path}`
        : `the text to replace occurs ${count} times in ${path}; give a longer, unique excerpt`,
      { path, occurrences: count },
    ),
  verifyCommandNotAllowed: (program: string) =>
    new AppError(
      422,
      'verify_command_not_allowed',
      `the verify command's program "${program}" is not allowed by the operator (FIX_VERIFY_COMMANDS)`,
      { program },
    ),
  notProposed: (id: string, status: string) =>
    new AppError(409, 'fix_not_proposed', `fix ${id} is ${status}; only a proposed fix can be decided`, {
      status,
    }),
  branchExists: (branch: string) =>
    new AppError(409, 'branch_exists', `branch ${branch} already exists in the repository`),
  gitFailed: (what: string, stderr: string) =>
    new AppError(500, 'git_failed', `git ${what} failed: ${stderr.trim().slice(0, 500)}`),
};
