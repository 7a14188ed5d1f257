import { Link, Navigate, useLocation } from 'react-router';
import { publicApi, session, unwrap } from '../api/client.ts';
import { useSession } from '../auth/SessionContext.tsx';
import { FormError, FormField, fieldError, NewPasswordField } from '../components/FormField.tsx';
import { useFormAction } from '../components/useFormAction.ts';

/** Where to go once signed in: the page that sent the visitor here, else the dashboard. */
function useDestination(): string {
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from;
  return from && !from.startsWith('/signin') && !from.startsWith('/register') ? from : '/';
}

export function AuthFrame({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <div className="auth-page">
      <div className="auth-card card">
        <div className="brand">
          <img src="/favicon.svg" alt="" width="32" height="32" />
          <span className="brand-name">Switchboard</span>
        </div>
        <h1>{title}</h1>
        {children}
      </div>
      <p className="muted small">
        <Link to="/status">Platform status</Link>
      </p>
    </div>
  );
}

/** What a page that sent the visitor here to sign in had to say (a reset password, an accepted invitation). */
function ArrivalNotice() {
  const state = useLocation().state as { notice?: string; email?: string } | null;
  if (state?.notice === 'password_reset')
    return (
      <p className="notice" role="status" data-testid="arrival-notice">
        Your password is changed and every earlier session has ended. Sign in with the new one.
      </p>
    );
  if (state?.notice === 'invitation_accepted')
    return (
      <p className="notice" role="status" data-testid="arrival-notice">
        Your password is set{state.email ? ` for ${state.email}` : ''}. Sign in to join your team.
      </p>
    );
  return null;
}

const SIGN_IN_FIELDS = ['email', 'password'];
const REGISTER_FIELDS = ['name', 'email', 'password', 'orgName'];

export function SignInPage() {
  const { session: current, lastSignOut } = useSession();
  const destination = useDestination();
  const { submit, busy, error } = useFormAction(async (form) => {
    const pair = await unwrap(
      publicApi.POST('/api/v1/auth/login', {
        body: { email: String(form.get('email')), password: String(form.get('password')) },
      }),
    );
    session.signIn(pair);
  });
  // Signed in (here or in another tab): on to where the visitor was headed.
  if (current) return <Navigate to={destination} replace />;

  return (
    <AuthFrame title="Sign in">
      {lastSignOut === 'expired' ? (
        <p className="notice">Your session ended. Sign in again to continue.</p>
      ) : lastSignOut === 'other_tab' ? (
        <p className="notice">You signed out in another tab.</p>
      ) : null}
      <ArrivalNotice />
      <form className="form" onSubmit={submit}>
        <FormField label="Email" error={fieldError(error, 'email')}>
          {(field) => <input {...field} name="email" type="email" autoComplete="username" required />}
        </FormField>
        <FormField label="Password" error={fieldError(error, 'password')}>
          {(field) => (
            <input {...field} name="password" type="password" autoComplete="current-password" required />
          )}
        </FormField>
        <FormError error={error} fields={SIGN_IN_FIELDS} />
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p className="muted">
        <Link to="/forgot-password">Forgot password?</Link>
      </p>
      <p className="muted">
        New here? <Link to="/register">Create an account</Link>
      </p>
    </AuthFrame>
  );
}

export function RegisterPage() {
  const { session: current } = useSession();
  const { submit, busy, error } = useFormAction(async (form) => {
    const orgName = String(form.get('orgName') ?? '').trim();
    const pair = await unwrap(
      publicApi.POST('/api/v1/auth/register', {
        body: {
          name: String(form.get('name')),
          email: String(form.get('email')),
          password: String(form.get('password')),
          ...(orgName ? { orgName } : {}),
        },
      }),
    );
    session.signIn(pair);
  });
  if (current) return <Navigate to="/" replace />;

  return (
    <AuthFrame title="Create your account">
      <form className="form" onSubmit={submit}>
        <FormField label="Your name" error={fieldError(error, 'name')}>
          {(field) => <input {...field} name="name" autoComplete="name" required />}
        </FormField>
        <FormField label="Email" error={fieldError(error, 'email')}>
          {(field) => <input {...field} name="email" type="email" autoComplete="username" required />}
        </FormField>
        <NewPasswordField error={error} />
        <FormField
          label={
            <>
              Organisation <span className="muted">(optional)</span>
            </>
          }
          error={fieldError(error, 'orgName')}
        >
          {(field) => <input {...field} name="orgName" autoComplete="organization" />}
        </FormField>
        <FormError error={error} fields={REGISTER_FIELDS} />
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create account'}
        </button>
      </form>
      <p className="muted">
        Have an account? <Link to="/signin">Sign in</Link>
      </p>
    </AuthFrame>
  );
}
