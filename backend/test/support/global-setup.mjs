// Jest loads global setup outside its module pipeline (no `.js` → `.ts` mapping),
// so this file is plain ESM and loads the TypeScript helpers through tsx.
import { tsImport } from 'tsx/esm/api';

/**
 * One migrated template database for the API suites; each test file copies it.
 * Also compiles the API once, before any test runs, for the tests that start
 * it as a separate process (support/api-process.ts).
 */
export default async function globalSetup() {
  const { compileApi } = await tsImport('./compile-api.ts', import.meta.url);
  await compileApi();
  const { startTestServer, createTemplate } = await tsImport('@phr/infra/local/test-database.ts', import.meta.url);
  const { runMigrations } = await tsImport('../../src/db/migrate.ts', import.meta.url);
  const server = await startTestServer();
  globalThis.phrTestServer = server;
  process.env.PHR_TEST_ADMIN_URL = server.adminUrl;
  process.env.PHR_TEST_TEMPLATE = await createTemplate(server.adminUrl, runMigrations);
}
