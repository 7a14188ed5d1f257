import type { components } from '@switchboard/client';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  createContext,
  type ReactNode,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useSyncExternalStore,
} from 'react';
import { api, session, unwrap } from '../api/client.ts';
import { keys } from '../queries/keys.ts';
import { queryPersister } from '../queries/persist.ts';
import type { Session, SessionStatus, SignOutReason } from './session.ts';

type Me = components['schemas']['Me'];

interface SessionValue {
  /** The signed-in session; undefined while restoring, offline or signed out. */
  session: Session | undefined;
  status: SessionStatus;
  /** Whose data the console shows: the session's user and org, or while offline the last ones seen. */
  profile: { user: Session['user']; org: Session['org'] } | undefined;
  /** Who the token belongs to: role and permissions (GET /auth/me); undefined while loading. */
  me: Me | undefined;
  meError: unknown;
  can: (permission: string) => boolean;
  signOut: () => Promise<void>;
  lastSignOut: SignOutReason | undefined;
}

const SessionContext = createContext<SessionValue | undefined>(undefined);

let lastReason: SignOutReason | undefined;
session.subscribe((s, reason) => {
  lastReason = s.session ? undefined : reason;
});

function useSessionState() {
  return useSyncExternalStore(
    (notify) => session.subscribe(notify),
    () => session.snapshot(),
  );
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const state = useSessionState();
  const current = state.session;
  const queryClient = useQueryClient();
  const userKey = state.profile ? `${state.profile.user.id}@${state.profile.org.id}` : 'anonymous';
  const me = useQuery({
    queryKey: keys.me(userKey),
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/auth/me', { signal })),
    // Offline, the saved answer (restored from IndexedDB) stands in.
    enabled: current !== undefined,
    staleTime: 60_000,
  });
  // Nothing of one user's data may show for the next one: the cache goes when a session ends or
  // another user (or org) takes over this origin's session in another tab.
  // Signing out also removes the answers saved in IndexedDB.
  const previous = useRef(userKey);
  useEffect(() => {
    if (state.status === 'signed_out' || (previous.current !== 'anonymous' && previous.current !== userKey)) {
      queryClient.clear();
      void queryPersister.removeClient();
    }
    previous.current = userKey;
  }, [userKey, state.status, queryClient]);
  // Back from offline: what shows is saved data, so everything is read again.
  const lastStatus = useRef(state.status);
  useEffect(() => {
    if (lastStatus.current === 'offline' && state.status === 'signed_in')
      void queryClient.invalidateQueries();
    lastStatus.current = state.status;
  }, [state.status, queryClient]);

  const value = useMemo<SessionValue>(() => {
    const permissions = new Set(me.data?.permissions ?? []);
    return {
      session: current,
      status: state.status,
      profile: state.profile,
      me: me.data,
      meError: me.error,
      can: (p) => permissions.has(p),
      signOut: () => session.signOut('user'),
      lastSignOut: lastReason,
    };
  }, [current, state.status, state.profile, me.data, me.error]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}
