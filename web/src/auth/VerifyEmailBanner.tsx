import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../api/client.ts';
import { useServerSettings } from '../pages/AccountLinkPages.tsx';
import { useSession } from './SessionContext.tsx';

/**
 * A gentle reminder for people whose address is not confirmed yet, with a way to get a fresh link. It
 * never blocks anything; it can be put away for the rest of the visit.
 */
export function VerifyEmailBanner() {
  const { me } = useSession();
  const settings = useServerSettings();
  const [hidden, setHidden] = useState(false);
  const resend = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/auth/verify-email/resend')),
  });
  if (!me?.user || me.user.emailVerified || hidden) return null;
  const mailOff = settings.data?.mail.configured === false;
  return (
    <div className="verify-banner" role="status" data-testid="verify-email-banner">
      <span>
        Please confirm your email address, {me.user.email}: open the link we mailed you.
        {mailOff
          ? ' (This server has no mail server configured, so ask your administrator for the link.)'
          : ''}
      </span>
      {resend.isSuccess ? (
        <span>{resend.data.message}</span>
      ) : resend.isError ? (
        <span className="bad">
          {resend.error instanceof Error ? resend.error.message : 'Could not send it.'}
        </span>
      ) : (
        <button
          type="button"
          className="btn btn-ghost btn-small"
          disabled={resend.isPending || mailOff}
          onClick={() => resend.mutate()}
        >
          {resend.isPending ? 'Mailing…' : 'Mail me a new link'}
        </button>
      )}
      <button
        type="button"
        className="btn btn-ghost btn-small"
        onClick={() => setHidden(true)}
        aria-label="Hide"
      >
        ✕
      </button>
    </div>
  );
}
