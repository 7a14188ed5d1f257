import { type FormEvent, useRef, useState } from 'react';
import { describeError } from '../api/errors.ts';
import { FormField } from '../components/FormField.tsx';
import { useToast } from '../components/Toasts.tsx';
import { useClearNotice, useNotice, usePostNotice, useRestart } from '../queries/notice.ts';

/** Asks before a restart in a modal dialog (the native <dialog>: Escape cancels, focus stays inside). */
function RestartButton() {
  const dialog = useRef<HTMLDialogElement>(null);
  const restart = useRestart();
  const toast = useToast();
  return (
    <>
      <button
        type="button"
        className="btn btn-danger"
        onClick={() => dialog.current?.showModal()}
        disabled={restart.isPending}
      >
        Restart server…
      </button>
      <dialog ref={dialog} className="confirm-dialog" aria-labelledby="restart-title">
        <form
          method="dialog"
          onSubmit={(e) => {
            const submitter = (e.nativeEvent as SubmitEvent).submitter as HTMLButtonElement | null;
            if (submitter?.value !== 'restart') return;
            restart.mutate(undefined, {
              onSuccess: (r) =>
                toast.notify(
                  `Restarting: in-flight work gets up to ${Math.round(r.drainTimeoutMs / 1000)} s to finish; consoles reconnect by themselves.`,
                ),
              onError: (err) => toast.fail(err),
            });
          }}
        >
          <h2 id="restart-title">Restart the server?</h2>
          <p>
            It stops accepting requests, lets running work finish, closes every live connection and starts
            again. Everyone connected sees a short interruption.
          </p>
          <div className="row-actions">
            <button type="submit" value="cancel" className="btn">
              Cancel
            </button>
            <button type="submit" value="restart" className="btn btn-danger">
              Restart now
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}

/** Post or clear the notice every console shows. */
function NoticeForm() {
  const current = useNotice(true).data?.notice ?? null;
  const post = usePostNotice();
  const clear = useClearNotice();
  const toast = useToast();
  const [error, setError] = useState<string>();

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setError(undefined);
    post.mutate(
      {
        message: String(form.get('message') ?? ''),
        level: form.get('level') === 'warning' ? 'warning' : 'info',
      },
      {
        onSuccess: () => toast.notify('Notice posted to every console'),
        onError: (err) => setError(describeError(err).message),
      },
    );
  }

  return (
    <form className="form notice-form" onSubmit={submit}>
      <FormField
        label="Maintenance notice"
        hint="Every console of every organisation shows it at once, until you clear it."
        error={error}
      >
        {(field) => (
          <textarea
            {...field}
            name="message"
            rows={2}
            maxLength={500}
            required
            defaultValue={current?.message ?? ''}
            key={current?.postedAt ?? 'none'}
            placeholder="Upgrading at 18:00 UTC; expect a minute of reconnects."
          />
        )}
      </FormField>
      <FormField label="Level">
        {(field) => (
          <select
            {...field}
            name="level"
            defaultValue={current?.level ?? 'info'}
            key={current?.postedAt ?? 'none'}
          >
            <option value="info">Information</option>
            <option value="warning">Warning</option>
          </select>
        )}
      </FormField>
      <div className="row-actions">
        <button type="submit" className="btn btn-primary" disabled={post.isPending}>
          Post notice
        </button>
        <button
          type="button"
          className="btn"
          disabled={!current || clear.isPending}
          onClick={() =>
            clear.mutate(undefined, {
              onSuccess: () => toast.notify('Notice cleared'),
              onError: (err) => toast.fail(err),
            })
          }
        >
          Clear notice
        </button>
      </div>
    </form>
  );
}

/** What the operator does to the platform: tell everyone something, restart the server. */
export function Operations() {
  return (
    <div className="card operations-card">
      <NoticeForm />
      <div className="row-actions">
        <RestartButton />
      </div>
    </div>
  );
}
