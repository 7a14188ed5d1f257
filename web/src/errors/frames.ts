/**
 * How a stack trace is shown: the frames where the error happened first (Sentry SDKs send the oldest call
 * first), the org's own code ("in app") shown frame by frame, and each run of library and runtime frames
 * between them folded into one group that opens on demand. A trace with no in-app frame at all has
 * nothing to point at, so everything shows open.
 */

/** A run of frames shown together: the org's own code, or library/runtime code (folded by default). */
export interface FrameGroup<F> {
  kind: 'app' | 'system';
  frames: F[];
  /** Whether the group starts folded. */
  collapsed: boolean;
  /** Index of the group's first frame in the shown (newest-first) order, for stable keys and numbering. */
  start: number;
}

/** The frames grouped for showing; `newestFirst` false keeps the SDK's order (oldest call first). */
export function groupFrames<F>(
  frames: readonly F[],
  inApp: (frame: F) => boolean,
  { newestFirst = true }: { newestFirst?: boolean } = {},
): Array<FrameGroup<F>> {
  const ordered = newestFirst ? [...frames].reverse() : [...frames];
  const anyApp = ordered.some(inApp);
  const groups: Array<FrameGroup<F>> = [];
  ordered.forEach((frame, index) => {
    const kind = !anyApp || inApp(frame) ? 'app' : 'system';
    const last = groups.at(-1);
    // In-app frames each stand alone (one card each); system frames gather into one fold.
    if (kind === 'system' && last?.kind === 'system') last.frames.push(frame);
    else groups.push({ kind, frames: [frame], collapsed: kind === 'system', start: index });
  });
  return groups;
}

/**
 * The frame the error is most likely about: the newest in-app frame, or the newest frame when none is in
 * app. Its index is in the SDK's order; -1 for no frames.
 */
export function culpritIndex<F>(frames: readonly F[], inApp: (frame: F) => boolean): number {
  const app = frames.findLastIndex(inApp);
  return app >= 0 ? app : frames.length - 1;
}

/** The source lines around a frame's line, numbered, the frame's own marked; none without context. */
export function contextLines(frame: {
  lineno?: number | null | undefined;
  preContext?: readonly string[] | null | undefined;
  contextLine?: string | null | undefined;
  postContext?: readonly string[] | null | undefined;
}): Array<{ number: number | null; text: string; current: boolean }> {
  if (frame.contextLine === undefined || frame.contextLine === null) return [];
  const pre = frame.preContext ?? [];
  const post = frame.postContext ?? [];
  const line = frame.lineno ?? null;
  const at = (offset: number) => (line === null ? null : line + offset);
  return [
    ...pre.map((text, i) => ({ number: at(i - pre.length), text, current: false })),
    { number: line, text: frame.contextLine, current: true },
    ...post.map((text, i) => ({ number: at(i + 1), text, current: false })),
  ];
}
