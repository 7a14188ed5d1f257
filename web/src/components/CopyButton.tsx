import { useEffect, useState } from 'react';

/**
 * Copies `text` to the clipboard and says so for a moment ("Copied"); where the clipboard is refused
 * (an insecure origin, a denied permission) it says that instead, and the text stays selectable beside it.
 */
export function CopyButton({ text, label = 'Copy', what }: { text: string; label?: string; what: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const t = setTimeout(() => setState('idle'), 2000);
    return () => clearTimeout(t);
  }, [state]);
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      setState('failed');
    }
  }
  return (
    <button
      type="button"
      className="btn btn-small"
      onClick={() => void copy()}
      aria-label={`${label} ${what}`}
      data-state={state}
    >
      <span aria-live="polite">
        {state === 'copied' ? 'Copied' : state === 'failed' ? 'Select and copy it by hand' : label}
      </span>
    </button>
  );
}
