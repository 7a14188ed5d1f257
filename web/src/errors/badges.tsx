import type { IssueLevel, IssueStatus } from '../queries/errors.ts';

export const STATUSES: ReadonlyArray<{ value: IssueStatus; label: string }> = [
  { value: 'unresolved', label: 'Unresolved' },
  { value: 'regressed', label: 'Regressed' },
  { value: 'resolved', label: 'Resolved' },
  { value: 'ignored', label: 'Ignored' },
];

export const LEVELS: ReadonlyArray<{ value: IssueLevel; label: string }> = [
  { value: 'fatal', label: 'Fatal' },
  { value: 'error', label: 'Error' },
  { value: 'warning', label: 'Warning' },
  { value: 'info', label: 'Info' },
  { value: 'debug', label: 'Debug' },
];

const STATUS_TONES: Record<IssueStatus, string> = {
  unresolved: 'bad',
  regressed: 'wait',
  resolved: 'ok',
  ignored: 'neutral',
};

const LEVEL_TONES: Record<IssueLevel, string> = {
  fatal: 'bad',
  error: 'bad',
  warning: 'wait',
  info: 'info',
  debug: 'neutral',
};

export const statusLabel = (s: IssueStatus) => STATUSES.find((x) => x.value === s)?.label ?? s;

export function IssueStatusBadge({ status, testId }: { status: IssueStatus; testId?: string }) {
  return (
    <span
      className={`badge badge-${STATUS_TONES[status] ?? 'neutral'}`}
      data-testid={testId}
      data-status={status}
    >
      {statusLabel(status)}
    </span>
  );
}

/** The level as a coloured mark and word (a fatal error reads at a glance, not only by colour). */
export function LevelBadge({ level }: { level: IssueLevel }) {
  return (
    <span className={`level level-${LEVEL_TONES[level] ?? 'neutral'}`} data-level={level}>
      <span className="level-mark" aria-hidden="true" />
      {LEVELS.find((l) => l.value === level)?.label ?? level}
    </span>
  );
}
