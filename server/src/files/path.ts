import { FileErrors } from './errors.ts';

/** The longest path, in UTF-8 bytes (API.md). */
export const MAX_PATH_BYTES = 1024;
/** The longest name of one file or folder, in UTF-8 bytes (what common file systems allow). */
export const MAX_NAME_BYTES = 255;
/** The deepest a path may go: `/a/b/c` is 3 deep. */
export const MAX_DEPTH = 32;

export const ROOT = '/';

// C0 and C1 control characters (NUL among them), and the bidirectional overrides that make a name
// read differently from what it is (`evil\u202Etxt.exe`).
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;
/** `%2e`, `%2F`, `%00`: a path arrives decoded once; one still encoded is a traversal attempt or a mistake. */
const PERCENT_ENCODED = /%[0-9a-f]{2}/i;

const utf8Bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/**
 * The normal form of a path from a client: absolute, NFC, no trailing slash (`/` stays the root).
 * Anything that could name a place other than the one it reads as is refused with 400 `invalid_path`:
 * `..` and `.` segments, `//`, backslashes, NUL and other control characters, percent-encoding left
 * in, text that is not valid Unicode, names over 255 bytes, paths over 1,024 bytes or 32 levels.
 */
export function normalisePath(raw: string): string {
  // Cheap refusals first, so a huge value costs nothing more.
  if (raw.length > MAX_PATH_BYTES) throw FileErrors.invalidPath(`longer than ${MAX_PATH_BYTES} bytes`);
  if (!raw.isWellFormed()) throw FileErrors.invalidPath('not valid Unicode');
  if (raw.includes('\0')) throw FileErrors.invalidPath('holds a NUL character');
  if (CONTROL.test(raw)) throw FileErrors.invalidPath('holds a control character');
  if (raw.includes('\\')) throw FileErrors.invalidPath('holds a backslash; folders are separated by /');
  if (PERCENT_ENCODED.test(raw))
    throw FileErrors.invalidPath('holds percent-encoding (such as %2e or %2f); send the path decoded');
  if (!raw.startsWith('/')) throw FileErrors.invalidPath(`must start with / (got "${raw.slice(0, 40)}")`);
  const path = raw.normalize('NFC');
  if (path === ROOT) return ROOT;
  const segments = (path.endsWith('/') ? path.slice(1, -1) : path.slice(1)).split('/');
  for (const segment of segments) {
    if (segment === '') throw FileErrors.invalidPath('holds an empty segment (//)');
    if (segment === '..') throw FileErrors.invalidPath('holds a .. segment');
    if (segment === '.') throw FileErrors.invalidPath('holds a . segment');
    if (segment.trim() === '') throw FileErrors.invalidPath('holds a name of only spaces');
    if (utf8Bytes(segment) > MAX_NAME_BYTES)
      throw FileErrors.invalidPath(`holds a name longer than ${MAX_NAME_BYTES} bytes`);
  }
  if (segments.length > MAX_DEPTH) throw FileErrors.invalidPath(`deeper than ${MAX_DEPTH} levels`);
  const normal = `/${segments.join('/')}`;
  if (utf8Bytes(normal) > MAX_PATH_BYTES) throw FileErrors.invalidPath(`longer than ${MAX_PATH_BYTES} bytes`);
  return normal;
}

/** How many levels down a normal path is: `/` 0, `/a` 1, `/a/b` 2. */
export function depthOf(path: string): number {
  return path === ROOT ? 0 : path.split('/').length - 1;
}

/** The folder holding a normal path; the root's parent is the root. */
export function parentOf(path: string): string {
  const cut = path.lastIndexOf('/');
  return cut <= 0 ? ROOT : path.slice(0, cut);
}

/** The last segment of a normal path; the root's is empty. */
export function nameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Every folder above a normal path, the root first: `/a/b/c` -> `/`, `/a`, `/a/b`. */
export function ancestorsOf(path: string): string[] {
  const out: string[] = [];
  for (let p = path; p !== ROOT; ) {
    p = parentOf(p);
    out.unshift(p);
  }
  return out;
}

/** `child` under `folder` (a path is not under itself). */
export function isUnder(child: string, folder: string): boolean {
  return folder === ROOT ? child !== ROOT : child.startsWith(`${folder}/`);
}

/** The prefix every path strictly under `folder` starts with. */
export function prefixOf(folder: string): string {
  return folder === ROOT ? ROOT : `${folder}/`;
}

/** `path` (the moved one or one under it) at its place after `from` moved to `to`. */
export function rebase(path: string, from: string, to: string): string {
  return path === from ? to : `${to}${path.slice(from.length)}`;
}

/** The path of `name` in `folder`. */
export function joinPath(folder: string, name: string): string {
  return folder === ROOT ? `/${name}` : `${folder}/${name}`;
}
