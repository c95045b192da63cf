import { rm } from 'node:fs/promises';
import { tsImport } from 'tsx/esm/api';

export default async function globalTeardown() {
  const e2e = globalThis.phrE2e;
  if (!e2e) return;
  const { dropDatabase } = await tsImport('@phr/infra/local/test-database.ts', import.meta.url);
  await e2e.stack.stop();
  await dropDatabase(e2e.server.adminUrl, e2e.database);
  await e2e.server.stop();
  await rm(e2e.dataDir, { recursive: true, force: true });
}
