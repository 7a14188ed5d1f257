import {
  createContext,
  type ReactNode,
  useContext,
  useEffect,
  useRef,
  useState,
  useSyncExternalStore,
} from 'react';
import { session } from '../api/client.ts';
import { useSession } from '../auth/SessionContext.tsx';
import { type ChannelEvent, type ConnectionState, RealtimeClient } from './socket.ts';

const client = new RealtimeClient({
  url: `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/api/v1/ws`,
  getToken: () => session.accessToken(),
  refreshToken: (failed) => session.refresh(failed),
});
session.subscribe((s) => {
  if (s.session) client.updateToken(s.session.accessToken);
});

const RealtimeContext = createContext<RealtimeClient | undefined>(undefined);

/** Opens the socket while someone is signed in, closes it on sign-out. */
export function RealtimeProvider({ children }: { children: ReactNode }) {
  const { session: current } = useSession();
  const signedIn = current !== undefined;
  useEffect(() => {
    if (!signedIn) return;
    client.start();
    return () => client.stop();
  }, [signedIn]);
  return <RealtimeContext.Provider value={client}>{children}</RealtimeContext.Provider>;
}

function useClient(): RealtimeClient {
  const value = useContext(RealtimeContext);
  if (!value) throw new Error('realtime hooks outside RealtimeProvider');
  return value;
}

export function useConnectionState(): ConnectionState {
  const c = useClient();
  return useSyncExternalStore(
    (notify) => c.onState(notify),
    () => c.connectionState,
  );
}

/** Calls `handler` for each event of `channel` while mounted; `replayFrom` replays a log channel. */
export function useChannel(
  channel: string | undefined,
  handler: (event: ChannelEvent) => void,
  replayFrom?: number,
): void {
  const c = useClient();
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    if (!channel) return;
    return c.subscribe(channel, (e) => ref.current(e), replayFrom);
  }, [c, channel, replayFrom]);
}

/** The latest `stats_update` of the dashboard channel (subscribes while mounted). */
export function useDashboardStats(): { stats: Record<string, unknown> | undefined; at: Date | undefined } {
  const c = useClient();
  const [state, setState] = useState<{ stats: Record<string, unknown> | undefined; at: Date | undefined }>({
    stats: undefined,
    at: undefined,
  });
  useEffect(() => {
    const offStats = c.onStats((stats) => setState({ stats, at: new Date() }));
    const offChannel = c.subscribe('dashboard', () => {});
    return () => {
      offStats();
      offChannel();
    };
  }, [c]);
  return state;
}

/** Whether the browser thinks it is online. */
export function useOnline(): boolean {
  return useSyncExternalStore(
    (notify) => {
      window.addEventListener('online', notify);
      window.addEventListener('offline', notify);
      return () => {
        window.removeEventListener('online', notify);
        window.removeEventListener('offline', notify);
      };
    },
    () => navigator.onLine,
  );
}
