/**
 * Compiles the API for tests that run it as its own process
 * (support/api-process.ts). Free of Nest imports: the API suites' global
 * setup loads it through tsx, which has no decorator metadata.
 */
import path from 'node:path';
import { run } from '@phr/infra/local/processes.js';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');
/** An output folder of its own: `npm start` (the infra suite) rewrites backend/dist while tests run. */
export const COMPILED_API_DIR = 'backend/.test-dist';

export async function compileApi(): Promise<void> {
  const tsc = path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
  await run(process.execPath, [tsc, '-b', 'shared-types'], REPO_ROOT);
  await run(process.execPath, [tsc, '-p', 'backend/tsconfig.build.json', '--outDir', COMPILED_API_DIR], REPO_ROOT);
}
