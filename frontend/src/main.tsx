import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router-dom';
import { App } from './App.js';
import { SessionProvider } from './features/auth/session.js';
import { TrustProvider } from './features/trust/TrustProvider.js';
import './styles.css';

// Mutations that failed are shown to the user, not retried behind their back.
const queryClient = new QueryClient({ defaultOptions: { mutations: { retry: false }, queries: { retry: 1 } } });

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
