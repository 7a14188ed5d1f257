import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';
import { describeError } from '../api/errors.ts';

interface Toast {
  id: number;
  tone: 'info' | 'error';
  text: string;
  requestId?: string | undefined;
}

const ToastContext = createContext<
  { notify: (text: string) => void; fail: (err: unknown) => void } | undefined
>(undefined);

let next = 1;

/** Short notices at the corner of the screen; errors carry their request id. */
export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const push = useCallback((toast: Omit<Toast, 'id'>) => {
    const id = next++;
    setToasts((list) => [...list.slice(-3), { ...toast, id }]);
    setTimeout(
      () => setToasts((list) => list.filter((t) => t.id !== id)),
      toast.tone === 'error' ? 8000 : 4000,
    );
  }, []);
  const value = useMemo(
    () => ({
      notify: (text: string) => push({ tone: 'info', text }),
      fail: (err: unknown) => {
        const d = describeError(err);
        push({ tone: 'error', text: d.message, requestId: d.requestId });
      },
    }),
    [push],
  );
  return (
    <ToastContext.Provider value={value}>
      {children}
      <div className="toasts" aria-live="polite">
        {toasts.map((t) => (
          <div key={t.id} className={`toast toast-${t.tone}`} role={t.tone === 'error' ? 'alert' : 'status'}>
            {t.text}
            {t.requestId ? <span className="request-id"> (request {t.requestId})</span> : null}
            <button
              type="button"
              className="toast-close"
              aria-label="Dismiss"
              onClick={() => setToasts((list) => list.filter((x) => x.id !== t.id))}
            >
              ×
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export function useToast() {
  const value = useContext(ToastContext);
  if (!value) throw new Error('useToast outside ToastProvider');
  return value;
}
