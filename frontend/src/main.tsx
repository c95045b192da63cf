import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router-dom';
import { App } from './App.js';
import { SessionProvider } from './features/auth/session.js';
import { accountKeys } from './api/auth.js';
import { refetchAfterChange } from './api/invalidate.js';
import { isStandingRefusal } from './features/clinicians/clinician-standing.js';
import { TrustProvider } from './features/trust/TrustProvider.js';
import './styles.css';

// A doctor refused for their standing (an operator suspended them meanwhile) reads it again, so the portal says why.
const onError = (error: unknown) => {
  if (isStandingRefusal(error)) void refetchAfterChange(queryClient, accountKeys.standing());
};
// Mutations that failed are shown to the user, not retried behind their back.
const queryClient: QueryClient = new QueryClient({
  queryCache: new QueryCache({ onError }),
  mutationCache: new MutationCache({ onError }),
  defaultOptions: { mutations: { retry: false }, queries: { retry: 1 } },
});

const root = document.getElementById('root');
if (!root) throw new Error('No #root element');
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <SessionProvider>
          <TrustProvider>
            <App />
          </TrustProvider>
        </SessionProvider>
      </BrowserRouter>
    </QueryClientProvider>
  </StrictMode>,
);
