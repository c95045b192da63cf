/**
 * The embedded object store as a process of its own, for tests that stop,
 * freeze (SIGSTOP) or kill the store while the API runs, as an operator's
 * store would fail. Settings come from the environment; it prints one line
 * `listening <endpoint>` when it serves, and stops on SIGTERM or SIGINT.
 *
 *   STORE_PORT STORE_DATA_DIR STORE_ACCESS_KEY STORE_SECRET_KEY STORE_BUCKET STORE_CORS_ORIGINS (comma-separated)
 */
import { startObjectStore } from './index.js';

function setting(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`Configuration error: ${name} is required but not set`);
    process.exit(1);
  }
  return value;
}

const store = await startObjectStore({
  dataDir: setting('STORE_DATA_DIR'),
  port: Number(setting('STORE_PORT')),
  accessKey: setting('STORE_ACCESS_KEY'),
  secretKey: setting('STORE_SECRET_KEY'),
  buckets: [{ name: setting('STORE_BUCKET'), corsOrigins: (process.env.STORE_CORS_ORIGINS ?? '').split(',').filter(Boolean) }],
});
console.log(`listening ${store.endpoint}`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void store.stop().then(() => process.exit(0));
  });
}
