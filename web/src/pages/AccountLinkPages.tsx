import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { publicApi, unwrap } from '../api/client.ts';
import { useSession } from '../auth/SessionContext.tsx';
import { FormError, FormField, fieldError, NewPasswordField } from '../components/FormField.tsx';
import { useFormAction } from '../components/useFormAction.ts';
import { keys } from '../queries/keys.ts';
import { AuthFrame } from './AuthPages.tsx';

/** Whether this server sends mail (`GET /server-settings`); pages that promise a mail say so when it does not. */
export function useServerSettings() {
  return useQuery({
    queryKey: keys.serverSettings,
    queryFn: ({ signal }) => unwrap(publicApi.GET('/api/v1/server-settings', { signal })),
    staleTime: 5 * 60_000,
  });
}

/** Said where a mail is promised but this server has no SMTP server to send it with. */
export function MailOffNotice() {
  const settings = useServerSettings();
  if (settings.data?.mail.configured !== false) return null;
  return (
    <p className="notice" data-testid="mail-off">
      This server has no mail server configured, so it cannot send this mail. Ask your administrator to set
      SMTP_URL (in development the mail, with its link, is written to the server log).
    </p>
  );
}

/** The token of a mailed link (`?token=`), or a message when the link was cut short. */
function useLinkToken(): string | undefined {
  const [params] = useSearchParams();
  const token = params.get('token') ?? undefined;
  return token && token.length >= 16 ? token : undefined;
}

function BrokenLink({ what }: { what: string }) {
  return (
    <p className="notice" role="alert">
      This {what} link is incomplete. Open the link from the mail again, or copy all of it into the address
      bar.
    </p>
  );
}

export function ForgotPasswordPage() {
  const [sent, setSent] = useState<string>();
  const { submit, busy, error } = useFormAction(async (form) => {
    const email = String(form.get('email'));
    const answer = await unwrap(publicApi.POST('/api/v1/auth/password-reset', { body: { email } }));
    setSent(answer.message);
  });

  return (
    <AuthFrame title="Reset your password">
      <MailOffNotice />
      {sent ? (
        <p className="notice" role="status" data-testid="reset-requested">
          {sent}
        </p>
      ) : (
        <form className="form" onSubmit={submit}>
          <p className="muted">
            Enter the address you sign in with; we mail you a link to choose a new password.
          </p>
          <FormField label="Email" error={fieldError(error, 'email')}>
            {(field) => <input {...field} name="email" type="email" autoComplete="username" required />}
          </FormField>
          <FormError error={error} fields={['email']} />
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Sending…' : 'Send the link'}
          </button>
        </form>
      )}
      <p className="muted">
        <Link to="/signin">Back to sign in</Link>
      </p>
    </AuthFrame>
  );
}

export function ResetPasswordPage() {
  const token = useLinkToken();
  const navigate = useNavigate();
  const { submit, busy, error } = useFormAction(async (form) => {
    if (!token) return;
    const password = String(form.get('password'));
    await unwrap(publicApi.POST('/api/v1/auth/password-reset/confirm', { body: { token, password } }));
    navigate('/signin', { replace: true, state: { notice: 'password_reset' } });
  });

  return (
    <AuthFrame title="Choose a new password">
      {token ? (
        <form className="form" onSubmit={submit}>
          <p className="muted">Every session of your account ends when you save; sign in again after.</p>
          <NewPasswordField label="New password" error={error} />
          <FormError error={error} fields={['password']} />
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save the new password'}
          </button>
        </form>
      ) : (
        <BrokenLink what="password reset" />
      )}
      <p className="muted">
        <Link to="/forgot-password">Ask for a new link</Link> · <Link to="/signin">Sign in</Link>
      </p>
    </AuthFrame>
  );
}

export function VerifyEmailPage() {
  const token = useLinkToken();
  const { session } = useSession();
  const queryClient = useQueryClient();
  const verify = useMutation({
    mutationFn: (t: string) => unwrap(publicApi.POST('/api/v1/auth/verify-email', { body: { token: t } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['me'] }),
  });
  // Once per token, even when React runs effects twice in development.
  const sent = useRef<string>(undefined);
  useEffect(() => {
    if (token && sent.current !== token) {
      sent.current = token;
      verify.mutate(token);
    }
  }, [token, verify]);

  return (
    <AuthFrame title="Confirm your email address">
      {!token ? (
        <BrokenLink what="verification" />
      ) : verify.isSuccess ? (
        <p className="notice" role="status" data-testid="email-verified">
          Your email address is confirmed. Thank you.
        </p>
      ) : verify.isError ? (
        <FormError error={verify.error} fields={[]} />
      ) : (
        <p className="muted">Confirming…</p>
      )}
      <p className="muted">
        {session ? <Link to="/">Go to the dashboard</Link> : <Link to="/signin">Sign in</Link>}
      </p>
    </AuthFrame>
  );
}

export function AcceptInvitationPage() {
  const token = useLinkToken();
  const navigate = useNavigate();
  const { submit, busy, error } = useFormAction(async (form) => {
    if (!token) return;
    const name = String(form.get('name') ?? '').trim();
    const accepted = await unwrap(
      publicApi.POST('/api/v1/auth/invitations/accept', {
        body: { token, password: String(form.get('password')), ...(name ? { name } : {}) },
      }),
    );
    navigate('/signin', { replace: true, state: { notice: 'invitation_accepted', email: accepted.email } });
  });

  return (
    <AuthFrame title="Join your team">
      {token ? (
        <form className="form" onSubmit={submit}>
          <p className="muted">Choose the password you will sign in with.</p>
          <FormField
            label={
              <>
                Your name <span className="muted">(optional)</span>
              </>
            }
            error={fieldError(error, 'name')}
          >
            {(field) => <input {...field} name="name" autoComplete="name" />}
          </FormField>
          <NewPasswordField error={error} />
          <FormError error={error} fields={['name', 'password']} />
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Joining…' : 'Set password and join'}
          </button>
        </form>
      ) : (
        <BrokenLink what="invitation" />
      )}
    </AuthFrame>
  );
}
