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
import type { Session, SignOutReason } from './session.ts';

type Me = components['schemas']['Me'];

interface SessionValue {
  session: Session | undefined;
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
  lastReason = s ? undefined : reason;
});

function useSessionSnapshot(): Session | undefined {
  return useSyncExternalStore(
    (notify) => session.subscribe(notify),
    () => session.current(),
  );
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const current = useSessionSnapshot();
  const queryClient = useQueryClient();
  const userKey = current ? `${current.user.id}@${current.org.id}` : 'anonymous';
  const me = useQuery({
    queryKey: keys.me(userKey),
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/auth/me', { signal })),
    enabled: current !== undefined,
    staleTime: 60_000,
  });
  // Nothing of one user's data may show for the next one: the cache goes when a session ends or
  // another user (or org) takes over this origin's session in another tab.
  const previous = useRef(userKey);
  useEffect(() => {
    if (previous.current !== 'anonymous' && previous.current !== userKey) queryClient.clear();
    previous.current = userKey;
  }, [userKey, queryClient]);

  const value = useMemo<SessionValue>(() => {
    const permissions = new Set(me.data?.permissions ?? []);
    return {
      session: current,
      me: me.data,
      meError: me.error,
      can: (p) => permissions.has(p),
      signOut: () => session.signOut('user'),
      lastSignOut: lastReason,
    };
  }, [current, me.data, me.error]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}
