import { MutationCache, QueryClient } from '@tanstack/react-query';
import { PersistQueryClientProvider } from '@tanstack/react-query-persist-client';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { ApiError } from './api/errors.ts';
import { App } from './app/App.tsx';
import { applyTheme } from './app/theme.ts';
import { SessionProvider } from './auth/SessionContext.tsx';
import { ToastProvider } from './components/Toasts.tsx';
import { PERSIST_MAX_AGE_MS, queryPersister } from './queries/persist.ts';
import { RealtimeProvider } from './realtime/RealtimeContext.tsx';
import './styles.css';

applyTheme();

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // The fetch layer already retries transient failures with back-off; a 4xx will not get better.
      retry: (count, err) => !(err instanceof ApiError && err.status >= 400 && err.status < 500) && count < 1,
      refetchOnWindowFocus: true,
      staleTime: 10_000,
      // Kept as long as saved answers are, so what was restored from IndexedDB is not dropped unused.
      gcTime: PERSIST_MAX_AGE_MS,
    },
  },
  mutationCache: new MutationCache(),
});

const root = document.getElementById('root');
if (!root) throw new Error('the page has no #root element');

createRoot(root).render(
  <StrictMode>
    <PersistQueryClientProvider
      client={queryClient}
      persistOptions={{ persister: queryPersister, maxAge: PERSIST_MAX_AGE_MS }}
    >
      <BrowserRouter>
        <ToastProvider>
          <SessionProvider>
            <RealtimeProvider>
              <App />
            </RealtimeProvider>
          </SessionProvider>
        </ToastProvider>
      </BrowserRouter>
    </PersistQueryClientProvider>
  </StrictMode>,
);
