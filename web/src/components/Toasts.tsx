import {
  createContext,
  type FocusEvent,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import { describeError } from '../api/errors.ts';

type Tone = 'info' | 'error';

interface Toast {
  id: number;
  tone: Tone;
  text: string;
  /** Lines under the text, e.g. the items a bulk action failed on. */
  details: string[];
  requestId?: string | undefined;
}

export interface NotifyOptions {
  tone?: Tone;
  details?: string[];
}

interface ToastApi {
  notify: (text: string, options?: NotifyOptions) => void;
  fail: (err: unknown) => void;
}

/** How long a toast stays while nobody hovers or focuses it; errors get time to be read. */
export const TOAST_LIFETIME_MS: Record<Tone, number> = { info: 5000, error: 10_000 };
/** More toasts than this push the oldest out. */
const MAX_TOASTS = 4;

/**
 * A timer that can be paused: it fires once it has run for `ms` in total. Each toast has one, paused
 * while the pointer or the keyboard focus is on the toasts, so nothing vanishes while being read.
 */
export class Countdown {
  private remaining: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private startedAt = 0;
  private fired = false;
  private readonly onDone: () => void;

  constructor(ms: number, onDone: () => void) {
    this.remaining = ms;
    this.onDone = onDone;
  }

  resume(): void {
    if (this.timer !== undefined || this.fired) return;
    this.startedAt = Date.now();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.fired = true;
      this.onDone();
    }, this.remaining);
  }

  pause(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.remaining = Math.max(0, this.remaining - (Date.now() - this.startedAt));
  }
}

function useCountdown(ms: number, paused: boolean, onDone: () => void): void {
  const done = useRef(onDone);
  done.current = onDone;
  const countdown = useRef<Countdown | undefined>(undefined);
  useEffect(() => {
    const c = new Countdown(ms, () => done.current());
    countdown.current = c;
    return () => c.pause();
  }, [ms]);
  useEffect(() => {
    if (paused) countdown.current?.pause();
    else countdown.current?.resume();
  }, [paused]);
}

function ToastView({ toast, paused, dismiss }: { toast: Toast; paused: boolean; dismiss: () => void }) {
  useCountdown(TOAST_LIFETIME_MS[toast.tone], paused, dismiss);
  return (
    <div
      className={`toast toast-${toast.tone}`}
      role={toast.tone === 'error' ? 'alert' : 'status'}
      data-testid="toast"
    >
      <div className="toast-body">
        <span>{toast.text}</span>
        {toast.requestId ? <span className="request-id"> (request {toast.requestId})</span> : null}
        {toast.details.length > 0 ? (
          <ul className="toast-details">
            {toast.details.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        ) : null}
      </div>
      <button type="button" className="toast-close" aria-label="Dismiss notification" onClick={dismiss}>
        ×
      </button>
    </div>
  );
}

const ToastContext = createContext<ToastApi | undefined>(undefined);

let next = 1;

/**
 * Short notices at the corner of the screen; errors carry their request id and stay longer. Every toast
 * goes by itself; hovering or focusing the stack holds it, × or Escape closes the newest at once.
 */
export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [hovered, setHovered] = useState(false);
  const [focused, setFocused] = useState(false);
  const dismiss = useCallback((id: number) => setToasts((list) => list.filter((t) => t.id !== id)), []);
  const push = useCallback((toast: Omit<Toast, 'id'>) => {
    setToasts((list) => [...list.slice(-(MAX_TOASTS - 1)), { ...toast, id: next++ }]);
  }, []);
  const value = useMemo<ToastApi>(
    () => ({
      notify: (text, options = {}) =>
        push({ tone: options.tone ?? 'info', text, details: options.details ?? [] }),
      fail: (err) => {
        const d = describeError(err);
        push({ tone: 'error', text: d.message, details: [], requestId: d.requestId });
      },
    }),
    [push],
  );

  const newest = toasts.at(-1)?.id;
  useEffect(() => {
    if (newest === undefined) return;
    // A handler that used Escape for itself (closing an editor, say) marks it handled.
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !e.defaultPrevented) dismiss(newest);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [newest, dismiss]);
  // A toast closed by hand takes the pointer or focus with it without a leave or blur event: look again,
  // or the rest would stay held.
  const stack = useRef<HTMLElement>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-check whenever the stack changes
  useEffect(() => {
    const el = stack.current;
    setHovered(el?.matches(':hover') ?? false);
    setFocused(el?.contains(document.activeElement) ?? false);
  }, [toasts]);

  const onBlur = (e: FocusEvent<HTMLDivElement>) => {
    if (!e.currentTarget.contains(e.relatedTarget)) setFocused(false);
  };
  return (
    <ToastContext.Provider value={value}>
      {children}
      <section
        ref={stack}
        className="toasts"
        aria-label="Notifications"
        aria-live="polite"
        onMouseEnter={() => setHovered(true)}
        onMouseLeave={() => setHovered(false)}
        onFocus={() => setFocused(true)}
        onBlur={onBlur}
      >
        {toasts.map((t) => (
          <ToastView key={t.id} toast={t} paused={hovered || focused} dismiss={() => dismiss(t.id)} />
        ))}
      </section>
    </ToastContext.Provider>
  );
}

export function useToast(): ToastApi {
  const value = useContext(ToastContext);
  if (!value) throw new Error('useToast outside ToastProvider');
  return value;
}
