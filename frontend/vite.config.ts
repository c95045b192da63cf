import { createPublicKey } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { CSP_NONCE_PLACEHOLDER, portalSecurityHeaders } from './portal-csp.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const apiUrl = process.env.API_URL ?? 'http://127.0.0.1:3000';
const port = Number(process.env.PORTAL_PORT ?? 5173);
/** `/api` goes to the API, so the portal and the API share one origin (first-party refresh cookie). */
const proxy = { '/api': { target: apiUrl, changeOrigin: false } };
/** Where browsers reach the object store (pre-signed URLs); `npm start` passes it, 9000 is its default. */
const objectStoreOrigin = new URL(process.env.S3_PUBLIC_ENDPOINT ?? 'http://127.0.0.1:9000').origin;

/**
 * The public half of the key directory's log key (SPKI DER, base64url): the portal checks
 * every tree head against it (docs/protocol.md "Key directory"), so it is part of the build,
 * never fetched from the server it checks. `npm start` and the test stacks pass the key of
 * their data folder; a production build is given the operator's published key
 * (docs/running.md "Log key of the key directory"). No portal is built or served by the
 * development server without one; `vite preview` serves a build and needs none.
 */
function keyLogPublicKey(): string {
  const value = process.env.VITE_KEY_LOG_PUBLIC_KEY?.trim() ?? '';
  const hint = 'VITE_KEY_LOG_PUBLIC_KEY must be the public half of the API’s KEY_LOG_SIGNING_KEY: an ECDSA P-256 key, SPKI DER in base64url (docs/running.md "Log key of the key directory")';
  if (!/^[A-Za-z0-9_-]+$/.test(value)) throw new Error(value ? hint : `${hint}; it is not set`);
  try {
    const key = createPublicKey({ key: Buffer.from(value, 'base64url'), format: 'der', type: 'spki' });
    if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return value;
  } catch {
    // reported below
  }
  throw new Error(hint);
}

export default defineConfig(({ command, isPreview }) => ({
  // `vite preview` serves a finished build, whose key was built in; it compiles nothing.
  define: isPreview ? {} : { 'import.meta.env.VITE_KEY_LOG_PUBLIC_KEY': JSON.stringify(keyLogPublicKey()) },
  plugins: [react(), portalSecurityHeaders(objectStoreOrigin)],
  // The dev server injects styles at run time; they carry a per-page nonce (portal-csp.ts).
  html: command === 'serve' ? { cspNonce: CSP_NONCE_PLACEHOLDER } : {},
  resolve: {
    alias: {
      '@phr/shared-types': path.resolve(here, '../shared-types/src/index.ts'),
      '@phr/api-client': path.resolve(here, '../api-client/src/index.ts'),
    },
  },
  // WebCrypto needs a secure context: localhost qualifies, a LAN address over http does not.
  server: { host: '127.0.0.1', port, strictPort: true, proxy },
  preview: { host: '127.0.0.1', port, strictPort: true, proxy },
  worker: { format: 'es' },
  // The dev server finds dependencies by crawling from index.html, which does not follow `new Worker(new URL(…))`:
  // a worker's own dependency (zxcvbn, in the password-check worker) would be found at its first request, the
  // dependencies bundled again, and every open page told to reload if the bundle changed (a form being filled loses
  // what was typed). So the crawl starts from the workers too.
  optimizeDeps: { entries: ['index.html', 'src/**/*worker.ts'] },
  // The zxcvbn dictionaries (~1.2 MB) are one lazy chunk, loaded only by the password forms.
  // No source maps in the build: the shipped portal should not hand out its sources' layout (ASVS 14.3.2).
  build: { target: 'es2022', sourcemap: false, chunkSizeWarningLimit: 1400 },
}));
