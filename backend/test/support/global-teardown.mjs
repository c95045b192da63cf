import { tsImport } from 'tsx/esm/api';

export default async function globalTeardown() {
  const { dropDatabase } = await tsImport('@phr/infra/local/test-database.ts', import.meta.url);
  const adminUrl = process.env.PHR_TEST_ADMIN_URL;
  const template = process.env.PHR_TEST_TEMPLATE;
  if (adminUrl && template) await dropDatabase(adminUrl, template);
  await globalThis.phrTestServer?.stop();
}
