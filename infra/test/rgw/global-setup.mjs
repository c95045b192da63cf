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
  // The first bucket makes the gateway create its index and data pools (seconds on a busy
  // machine): done here, once, so that no test's hook waits for it.
  const { Client } = await import('minio');
  const { prepareBucket, removeBucket } = await tsImport('../../../backend/src/storage/bucket-setup.ts', import.meta.url);
  const endpoint = new URL(rgw.endpoint);
  const client = new Client({ endPoint: endpoint.hostname, port: Number(endpoint.port), useSSL: false, accessKey: rgw.accessKey, secretKey: rgw.secretKey, region: 'us-east-1', pathStyle: true });
  await prepareBucket(client, { bucket: 'warm-up', region: 'us-east-1', corsOrigins: ['http://localhost'] });
  await client.putObject('warm-up', 'first', Buffer.from('first object'));
  await removeBucket(client, 'warm-up');
  console.log(`\nrgw: Ceph's RADOS Gateway serves ${rgw.endpoint} (started and its pools made in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  if (process.env.PHR_TEST_TEMPLATE) return;
  const { startTestServer, createTemplate } = await tsImport('../../local/test-database.ts', import.meta.url);
  const { runMigrations } = await tsImport('../../../backend/src/db/migrate.ts', import.meta.url);
  const server = await startTestServer();
  globalThis.phrRgwTestServer = server;
  process.env.PHR_TEST_ADMIN_URL = server.adminUrl;
  process.env.PHR_TEST_TEMPLATE = await createTemplate(server.adminUrl, runMigrations);
  globalThis.phrRgwTemplate = process.env.PHR_TEST_TEMPLATE;
}
