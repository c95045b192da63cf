import path from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));
const apiUrl = process.env.API_URL ?? 'http://127.0.0.1:3000';
const port = Number(process.env.PORTAL_PORT ?? 5173);
/** `/api` goes to the API, so the portal and the API share one origin (first-party refresh cookie). */
const proxy = { '/api': { target: apiUrl, changeOrigin: false } };

export default defineConfig({
  plugins: [react()],
  resolve: { alias: { '@phr/shared-types': path.resolve(here, '../shared-types/src/index.ts') } },
  // WebCrypto needs a secure context: localhost qualifies, a LAN address over http does not.
  server: { host: '127.0.0.1', port, strictPort: true, proxy },
  preview: { host: '127.0.0.1', port, strictPort: true, proxy },
  worker: { format: 'es' },
  // The zxcvbn dictionaries (~1.2 MB) are one lazy chunk, loaded only by the password forms.
  build: { target: 'es2022', sourcemap: true, chunkSizeWarningLimit: 1400 },
});
