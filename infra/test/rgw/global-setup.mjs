// Jest loads global setup outside its module pipeline, so this file is plain ESM and loads
// the TypeScript helpers through tsx (as backend/test/support/global-setup.mjs does).
import { tsImport } from 'tsx/esm/api';

/**
 * The `rgw` project: one RADOS Gateway for the whole run (each API test file gets a bucket
 * of its own on it, backend/test/support/test-store.ts), and the migrated template database
 * the API suites copy. When the `api` project ran its global setup first, its template is
 * used and left to it.
 */
export default async function globalSetup() {
  const { startRgw } = await tsImport('../../local/ceph/rgw.ts', import.meta.url);
  const started = Date.now();
  const rgw = await startRgw();
  globalThis.phrRgw = rgw;
  process.env.PHR_TEST_RGW_ENDPOINT = rgw.endpoint;
  process.env.PHR_TEST_RGW_ACCESS_KEY = rgw.accessKey;
  process.env.PHR_TEST_RGW_SECRET_KEY = rgw.secretKey;
  console.log(`\nrgw: Ceph's RADOS Gateway serves ${rgw.endpoint} (started in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  if (process.env.PHR_TEST_TEMPLATE) return;
  const { startTestServer, createTemplate } = await tsImport('../../local/test-database.ts', import.meta.url);
  const { runMigrations } = await tsImport('../../../backend/src/db/migrate.ts', import.meta.url);
  const server = await startTestServer();
  globalThis.phrRgwTestServer = server;
  process.env.PHR_TEST_ADMIN_URL = server.adminUrl;
  process.env.PHR_TEST_TEMPLATE = await createTemplate(server.adminUrl, runMigrations);
  globalThis.phrRgwTemplate = process.env.PHR_TEST_TEMPLATE;
}
