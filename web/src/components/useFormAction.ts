import { type FormEvent, useState } from 'react';

/**
 * An uncontrolled form's submission: `submit` (the form's onSubmit) hands its fields to `action`,
 * `busy` while it runs, and keeps what it threw as `error` for the fields and the form to show.
 */
export function useFormAction(action: (form: FormData) => Promise<void>) {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(undefined);
    try {
      await action(form);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return { submit, busy, error };
}
