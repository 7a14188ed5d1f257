import { MutationCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { ApiError } from './api/errors.ts';
import { App } from './app/App.tsx';
import { applyTheme } from './app/theme.ts';
import { SessionProvider } from './auth/SessionContext.tsx';
import { ToastProvider } from './components/Toasts.tsx';
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
    },
  },
  mutationCache: new MutationCache(),
});

const root = document.getElementById('root');
if (!root) throw new Error('the page has no #root element');

createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <ToastProvider>
          <SessionProvider>
            <RealtimeProvider>
              <App />
            </RealtimeProvider>
          </SessionProvider>
        </ToastProvider>
      </BrowserRouter>
    </QueryClientProvider>
  </StrictMode>,
);
