import { tsImport } from 'tsx/esm/api';

export default async function globalTeardown() {
  if (globalThis.phrRgwTemplate) {
    const { dropDatabase } = await tsImport('../../local/test-database.ts', import.meta.url);
    await dropDatabase(process.env.PHR_TEST_ADMIN_URL, globalThis.phrRgwTemplate);
    await globalThis.phrRgwTestServer?.stop();
  }
  await globalThis.phrRgw?.stop();
}
