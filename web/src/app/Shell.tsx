import { type ReactNode, Suspense, useEffect, useState } from 'react';
import { NavLink, Outlet, useLocation } from 'react-router';
import { api, unwrap } from '../api/client.ts';
import { useSession } from '../auth/SessionContext.tsx';
import { VerifyEmailBanner } from '../auth/VerifyEmailBanner.tsx';
import { NoticeBanner } from '../components/NoticeBanner.tsx';
import { Loading } from '../components/states.tsx';
import { useInboxUnread } from '../queries/inbox.ts';
import { useChannel, useConnectionState, useOnline } from '../realtime/RealtimeContext.tsx';
import { ErrorBoundary } from './ErrorBoundary.tsx';
import { startSelfReporting } from './selfReport.ts';
import { type ThemeChoice, useTheme } from './theme.ts';

interface NavItem {
  to: string;
  label: string;
  /** Shown only to roles holding every one of these. */
  needs: string[];
  badge?: ReactNode;
  /** Organisation settings and administration are listed apart from the daily pages. */
  settings?: boolean;
}

/** The unread count of the inbox, kept live by the `inbox` channel. */
function useUnread(enabled: boolean): number | undefined {
  const unread = useInboxUnread(enabled);
  useChannel(enabled ? 'inbox' : undefined, () => void unread.refetch());
  return unread.data;
}

function ThemeToggle() {
  const [choice, setChoice] = useTheme();
  const order: ThemeChoice[] = ['system', 'light', 'dark'];
  const label = { system: 'Theme: system', light: 'Theme: light', dark: 'Theme: dark' }[choice];
  return (
    <button
      type="button"
      className="btn btn-ghost theme-toggle"
      onClick={() => setChoice(order[(order.indexOf(choice) + 1) % order.length]!)}
      title="Switch between system, light and dark themes"
      data-testid="theme-toggle"
    >
      <span aria-hidden="true">{choice === 'dark' ? '☾' : choice === 'light' ? '☀' : '◐'}</span>
      <span className="theme-label">{label}</span>
    </button>
  );
}

function ConnectionIndicator() {
  const state = useConnectionState();
  const label = { open: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…', closed: 'Offline' }[
    state
  ];
  return (
    <span
      className={`conn conn-${state}`}
      data-testid="connection-state"
      title={`Realtime connection: ${label}`}
    >
      <span className="dot" aria-hidden="true" />
      {label}
    </span>
  );
}

/** After a reload without the server: the pages show what this browser saved, and say so. */
function SavedDataBanner() {
  const { status } = useSession();
  if (status !== 'offline') return null;
  return (
    <div className="offline-banner saved-data-banner" role="status" data-testid="saved-data-banner">
      Showing saved data — offline. The server cannot be reached; this page shows what this browser saved last
      time and updates once the connection is back.
    </div>
  );
}

function OfflineBanner() {
  const { status } = useSession();
  const online = useOnline();
  const state = useConnectionState();
  const [grace, setGrace] = useState(true);
  // A first connection takes a moment; only a lasting problem deserves a banner.
  useEffect(() => {
    const t = setTimeout(() => setGrace(false), 4000);
    return () => clearTimeout(t);
  }, []);
  if (status === 'offline') return null; // the saved-data notice says it already
  if (online && (state === 'open' || state === 'connecting' || grace)) return null;
  return (
    <div className="offline-banner" role="status" data-testid="offline-banner">
      {online
        ? 'Live updates are interrupted; reconnecting. What you send is kept and sent when the connection is back.'
        : 'You are offline. Changes will be sent when the connection is back.'}
    </div>
  );
}

/** The signed-in frame: header with org, user and role; navigation that follows permissions; the page. */
export function Shell() {
  const { profile, me, can, signOut, status } = useSession();
  const unread = useUnread(can('inbox:read'));
  const [menuOpen, setMenuOpen] = useState(false);
  const location = useLocation();
  // biome-ignore lint/correctness/useExhaustiveDependencies: close the menu on every navigation
  useEffect(() => setMenuOpen(false), [location.pathname]);
  // The console reports its own failures to the operator's built-in error project, when the server names one.
  // Asked once signed in: a Shell shown from saved data (offline) has no token to ask with yet.
  useEffect(() => {
    if (status === 'signed_in')
      void startSelfReporting(() => unwrap(api.GET('/api/v1/error-projects/console')));
  }, [status]);

  const items: NavItem[] = [
    { to: '/', label: 'Dashboard', needs: [] },
    { to: '/chat', label: 'Chat', needs: ['chat:write', 'conversations:read', 'agents:read'] },
    { to: '/agents', label: 'Agents', needs: ['agents:read'] },
    { to: '/runs', label: 'Runs', needs: ['runs:read'] },
    { to: '/tasks', label: 'Tasks', needs: ['tasks:read'] },
    { to: '/errors', label: 'Errors', needs: ['errors:read'] },
    { to: '/usage', label: 'Usage', needs: ['usage:read'] },
    { to: '/billing', label: 'Billing', needs: ['billing:manage'] },
    { to: '/files', label: 'Files', needs: ['files:read'] },
    {
      to: '/inbox',
      label: 'Inbox',
      needs: ['inbox:read'],
      badge: unread ? (
        <span className="nav-badge" data-testid="inbox-unread">
          {unread}
          <span className="sr-only"> unread</span>
        </span>
      ) : null,
    },
    { to: '/settings/members', label: 'Members', needs: ['members:read'], settings: true },
    { to: '/settings/roles', label: 'Roles', needs: ['roles:read'], settings: true },
    { to: '/settings/api-keys', label: 'API keys', needs: ['api_keys:read'], settings: true },
    { to: '/settings/audit', label: 'Audit log', needs: ['audit:read'], settings: true },
    { to: '/admin', label: 'Control room', needs: ['admin'], settings: true },
  ];
  const visible = me ? items.filter((i) => i.needs.every((p) => can(p))) : [];

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <button
          type="button"
          className="btn btn-ghost menu-button"
          aria-expanded={menuOpen}
          aria-controls="primary-nav"
          onClick={() => setMenuOpen((o) => !o)}
        >
          <span aria-hidden="true">☰</span>
          <span className="sr-only">Menu</span>
        </button>
        <NavLink to="/" className="brand-link">
          <img src="/favicon.svg" alt="" width="24" height="24" />
          <span className="brand-text">Switchboard</span>
        </NavLink>
        <div className="org" data-testid="org-name" title="Organisation">
          {profile?.org.name}
        </div>
        <div className="topbar-right">
          <ConnectionIndicator />
          <ThemeToggle />
          <div className="who">
            <span className="who-name">{profile?.user.name}</span>
            {me?.role ? (
              <span className="role-pill" data-testid="user-role">
                {me.role.name}
              </span>
            ) : null}
          </div>
          <button type="button" className="btn btn-ghost" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <NoticeBanner />
      <SavedDataBanner />
      <OfflineBanner />
      <VerifyEmailBanner />
      <div className="layout">
        <nav id="primary-nav" className={`sidenav ${menuOpen ? 'open' : ''}`} aria-label="Main">
          <div className="sidenav-org">{profile?.org.name}</div>
          <ul>
            {visible
              .filter((item) => !item.settings)
              .map((item) => (
                <li key={item.to}>
                  <NavLink to={item.to} end={item.to === '/'} className="nav-link">
                    <span>{item.label}</span>
                    {item.badge}
                  </NavLink>
                </li>
              ))}
          </ul>
          {visible.some((item) => item.settings) ? (
            <>
              <div className="sidenav-heading">Organisation</div>
              <ul>
                {visible
                  .filter((item) => item.settings)
                  .map((item) => (
                    <li key={item.to}>
                      <NavLink to={item.to} className="nav-link">
                        <span>{item.label}</span>
                      </NavLink>
                    </li>
                  ))}
              </ul>
            </>
          ) : null}
          <div className="sidenav-foot">
            <NavLink to="/status" className="nav-link muted">
              Platform status
            </NavLink>
          </div>
        </nav>
        <main id="main" className="content" tabIndex={-1}>
          <ErrorBoundary resetKey={location.pathname}>
            <Suspense fallback={<Loading label="Opening the page…" />}>
              <Outlet />
            </Suspense>
          </ErrorBoundary>
        </main>
      </div>
    </div>
  );
}
