import { AppError, Errors } from '../platform/errors.ts';

/** The errors of files, one code each with one status. */
export const FileErrors = {
  invalidPath: (reason: string) => new AppError(400, 'invalid_path', `invalid path: ${reason}`),
  /** Missing and unreadable answer alike, so a caller cannot tell them apart. */
  notFound: (path: string) => Errors.notFound('path', path),
  versionNotFound: (path: string, version: number) => Errors.notFound(`version ${version} of`, path),
  forbidden: (path: string, what = 'change') =>
    new AppError(403, 'forbidden', `you may not ${what} ${path}; ask an owner or admin for write access`),
  rootFixed: (what: string) =>
    new AppError(400, 'invalid_path', `invalid path: the root folder cannot be ${what}`),
  holdsProtected: (path: string, what: string) =>
    new AppError(
      403,
      'forbidden',
      `you may not ${what} ${path}: it holds entries you may not change; ask an owner or admin`,
    ),
  notAFile: (path: string) =>
    new AppError(409, 'not_a_file', `${path} is a folder; list it with GET /files/tree`),
  notAFolder: (path: string) =>
    new AppError(409, 'not_a_folder', `${path} is a file, so nothing can be put inside it`),
  alreadyExists: (path: string) => new AppError(409, 'already_exists', `${path} already exists`),
  folderNotEmpty: (path: string) =>
    new AppError(
      409,
      'folder_not_empty',
      `folder ${path} is not empty; delete it with ?recursive=true to remove everything in it`,
    ),
  invalidMove: (from: string, to: string, why: string) =>
    new AppError(400, 'invalid_move', `cannot move ${from} to ${to}: ${why}`),
  versionConflict: (path: string, etag: string | null) =>
    new AppError(
      412,
      'version_conflict',
      etag
        ? `${path} changed since you read it (its ETag is ${etag} now); reload it, or send it again without If-Match to overwrite`
        : `${path} does not exist (any more), so If-Match cannot match`,
      { etag },
    ),
  alreadyThere: (path: string, etag: string) =>
    new AppError(
      412,
      'version_conflict',
      `${path} already exists and If-None-Match: * asked for a new file`,
      {
        etag,
      },
    ),
  tooLarge: (maxBytes: number) =>
    new AppError(
      413,
      'file_too_large',
      `a file may hold at most ${maxBytes.toLocaleString('en')} bytes (FILES_MAX_BYTES)`,
      { maxBytes },
    ),
  unknownSubjects: (subjects: Array<{ type: string; id: string }>) =>
    new AppError(
      400,
      'unknown_subject',
      `no such ${subjects.map((s) => `${s.type} ${s.id}`).join(', ')} in this organisation`,
      { subjects },
    ),
};
