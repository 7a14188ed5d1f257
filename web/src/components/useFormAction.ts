import { useMutation } from '@tanstack/react-query';
import type { FormEvent } from 'react';

/**
 * An uncontrolled form's submission, as a mutation: `submit` (the form's onSubmit) hands its fields
 * to `action`, `busy` while it runs, and what it threw is `error` for the fields and the form to show.
 * It runs at once even offline (`networkMode: 'always'`): signing in must say it failed, not wait.
 */
export function useFormAction(action: (form: FormData) => Promise<void>) {
  const mutation = useMutation({ mutationFn: action, networkMode: 'always' });
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    mutation.mutate(new FormData(e.currentTarget));
  }
  return { submit, busy: mutation.isPending, error: mutation.error ?? undefined };
}
