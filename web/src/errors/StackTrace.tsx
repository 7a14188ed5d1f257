import { useState } from 'react';
import type { IssueEvent } from '../queries/errors.ts';
import { contextLines, culpritIndex, type FrameGroup, groupFrames } from './frames.ts';

type Exception = NonNullable<IssueEvent['exceptions']>[number];
type Frame = NonNullable<Exception['frames']>[number];

const isInApp = (f: Frame) => f.inApp === true;
const where = (f: Frame) => f.filename ?? f.module ?? f.absPath ?? '<unknown file>';
/** A frame's key: its place in the shown trace with where it points (frames have no id). */
const frameKey = (at: number, f: Frame) => `${at}:${where(f)}:${f.lineno ?? ''}:${f.function ?? ''}`;
const position = (f: Frame) => (f.lineno ? `:${f.lineno}${f.colno ? `:${f.colno}` : ''}` : '');

function FrameLine({ frame, culprit }: { frame: Frame; culprit: boolean }) {
  const lines = contextLines(frame);
  const head = (
    <>
      <span className="frame-file mono">
        {where(frame)}
        <span className="muted">{position(frame)}</span>
      </span>
      <span className="muted"> in </span>
      <span className="frame-fn mono">{frame.function ?? '<anonymous>'}</span>
      {isInApp(frame) ? <span className="tag frame-app-tag">in app</span> : null}
    </>
  );
  if (lines.length === 0)
    return (
      <li
        className={`frame ${isInApp(frame) ? 'frame-app' : 'frame-system'} ${culprit ? 'frame-culprit' : ''}`}
        data-testid="frame"
      >
        <div className="frame-head">{head}</div>
      </li>
    );
  return (
    <li
      className={`frame ${isInApp(frame) ? 'frame-app' : 'frame-system'} ${culprit ? 'frame-culprit' : ''}`}
      data-testid="frame"
    >
      <details open={culprit}>
        <summary className="frame-head">{head}</summary>
        <pre className="frame-context">
          {lines.map((l, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: lines of a fixed excerpt, in place
            <div key={i} className={l.current ? 'context-current' : undefined}>
              <span className="context-number" aria-hidden="true">
                {l.number ?? ''}
              </span>
              <code>{l.text}</code>
            </div>
          ))}
        </pre>
      </details>
    </li>
  );
}

function SystemFrames({ group, culprit }: { group: FrameGroup<Frame>; culprit: Frame | undefined }) {
  const [open, setOpen] = useState(!group.collapsed);
  if (open)
    return (
      <>
        {group.frames.map((f, i) => (
          <FrameLine key={frameKey(group.start + i, f)} frame={f} culprit={f === culprit} />
        ))}
        {group.collapsed ? (
          <li className="frame-fold">
            <button type="button" className="link-button small-inline" onClick={() => setOpen(false)}>
              Hide {group.frames.length} system frame{group.frames.length === 1 ? '' : 's'}
            </button>
          </li>
        ) : null}
      </>
    );
  return (
    <li className="frame-fold">
      <button
        type="button"
        className="link-button small-inline"
        onClick={() => setOpen(true)}
        aria-expanded={false}
        data-testid="frame-fold"
      >
        Show {group.frames.length} system frame{group.frames.length === 1 ? '' : 's'}
      </button>
    </li>
  );
}

function ExceptionTrace({ exception }: { exception: Exception }) {
  const frames = exception.frames ?? [];
  const culprit = frames[culpritIndex(frames, isInApp)];
  const groups = groupFrames(frames, isInApp);
  return (
    <section className="exception" data-testid="exception">
      <h3 className="exception-title">
        <span className="mono">{exception.type ?? 'Error'}</span>
        {exception.value ? <span className="exception-value">: {exception.value}</span> : null}
      </h3>
      {frames.length === 0 ? (
        <p className="muted small">No stack trace came with this exception.</p>
      ) : (
        <ol className="frames" data-testid="stack-trace" aria-label="Stack trace, most recent call first">
          {groups.map((g) =>
            g.kind === 'app' ? (
              g.frames.map((f, i) => (
                <FrameLine key={frameKey(g.start + i, f)} frame={f} culprit={f === culprit} />
              ))
            ) : (
              <SystemFrames key={g.start} group={g} culprit={culprit} />
            ),
          )}
        </ol>
      )}
    </section>
  );
}

/**
 * An event's exceptions with their stack traces, the one thrown last first (a chain's causes follow),
 * most recent call first; the org's own frames stand out and the rest fold away.
 */
export function StackTrace({ exceptions }: { exceptions: Exception[] }) {
  return (
    <div className="stack">
      {[...exceptions].reverse().map((e, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: exceptions of one event, in order
        <ExceptionTrace key={i} exception={e} />
      ))}
    </div>
  );
}
