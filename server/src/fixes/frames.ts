import { AppError } from '../platform/errors.ts';
import type { FrameCode, StackFrame } from './fixer.ts';
import { filePaths, readText, type Snapshot } from './repository.ts';

/** In-app frames whose code the fixer's prompt shows, innermost first. */
const MAX_FRAMES_SHOWN = 5;
/** Lines shown before and after a frame's own. */
const AROUND = 8;

/**
 * Where a frame's file may be in the repository: its name (or absolute path) without a URL scheme
 * (`webpack:///`, `app:///`, `file://`) or leading `./` and `/`, then with its leading folders dropped
 * one by one, since a deployed path (`/srv/shop/src/cart.js`) holds the repository's (`src/cart.js`)
 * somewhere at its end.
 */
export function candidatePaths(frame: StackFrame): string[] {
  const names = [frame.filename, frame.absPath].filter((n): n is string => !!n);
  const out: string[] = [];
  for (const name of names) {
    const bare = name
      .replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '')
      .replace(/[?#].*$/, '')
      .replace(/\\/g, '/');
    const segments = bare.split('/').filter((s) => s !== '' && s !== '.');
    if (segments.some((s) => s === '..')) continue;
    for (let i = 0; i < segments.length; i++) {
      const path = segments.slice(i).join('/');
      if (!out.includes(path)) out.push(path);
    }
  }
  return out;
}

/**
 * The repository's code around the innermost in-app frames (of every exception, the last raised first)
 * whose files the snapshot holds: what a fixer reads first. A frame whose file is not found, or cannot be
 * read as text, is left out; the fixer can still look for it with the repo tools.
 */
export async function codeAtFrames(
  snap: Snapshot,
  exceptions: ReadonlyArray<{ frames?: StackFrame[] | undefined }>,
): Promise<FrameCode[]> {
  const frames = exceptions
    .toReversed()
    .flatMap((ex) => (ex.frames ?? []).toReversed())
    .filter((f) => f.inApp && f.lineno && f.lineno > 0);
  if (frames.length === 0) return [];
  const files = await filePaths(snap);
  const shown: FrameCode[] = [];
  for (const frame of frames) {
    if (shown.length === MAX_FRAMES_SHOWN) break;
    const path = candidatePaths(frame).find((p) => files.has(p));
    const line = frame.lineno!;
    if (!path || shown.some((c) => c.path === path && c.line === line)) continue;
    let text: string;
    try {
      text = (await readText(snap, path)).text;
    } catch (err) {
      if (err instanceof AppError && err.status < 500) continue;
      throw err;
    }
    const lines = (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
    if (line > lines.length) continue;
    const startLine = Math.max(1, line - AROUND);
    shown.push({
      path,
      line,
      startLine,
      lines: lines.slice(startLine - 1, Math.min(lines.length, line + AROUND)),
      function: frame.function,
    });
  }
  return shown;
}
