/**
 * The portal as production ships it: `vite build` into a temporary folder,
 * served by `vite preview` (static files, /api passed to the API). `npm start`
 * serves the portal through Vite's development server instead, which compiles
 * sources on request and is no part of what users get; scanning it would
 * report the dev server (it answers 500 to some query strings on a module).
 * Production's TLS and response headers come from Caddy (infra/docker/Caddyfile)
 * and are not part of this scan.
 */
import path from 'node:path';
import { freePort } from '../local/ports.js';
import { run, startChild, stopChild, waitForHttp } from '../local/processes.js';
import { REPO_ROOT } from '../local/stack.js';

export interface BuiltPortal {
  url: string;
  stop(): Promise<void>;
}

const VITE = path.join(REPO_ROOT, 'node_modules/vite/bin/vite.js');
const FRONTEND = path.join(REPO_ROOT, 'frontend');

/** `keyLogPublicKey`: the stack's log key (RunningStack.keyLogPublicKey), built into the portal as production does. */
export async function startBuiltPortal(apiUrl: string, keyLogPublicKey: string, outDir: string, log: (line: string) => void): Promise<BuiltPortal> {
  await run(process.execPath, [VITE, 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], FRONTEND, { VITE_KEY_LOG_PUBLIC_KEY: keyLogPublicKey });
  return previewPortal(apiUrl, outDir, log);
}

/**
 * `vite preview` of a finished build in `outDir`, in an environment that holds nothing of the
 * build's (the log key is in the files already).
 */
export async function previewPortal(apiUrl: string, outDir: string, log: (line: string) => void): Promise<BuiltPortal> {
  const port = await freePort();
  const preview = startChild('portal-preview', process.execPath, [VITE, 'preview', '--outDir', outDir, '--port', String(port), '--strictPort'], {
    cwd: FRONTEND,
    log,
    env: { PATH: process.env.PATH, API_URL: apiUrl, PORTAL_PORT: String(port), NODE_ENV: 'production' },
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/`, 60_000, preview);
  } catch (error) {
    await stopChild(preview);
    throw error;
  }
  return { url, stop: () => stopChild(preview) };
}
