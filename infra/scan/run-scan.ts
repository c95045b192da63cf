/**
 * `npm run scan`: a dynamic scan of the running product with wapiti (Debian's
 * package; see docs/security/dynamic-scan.md). Exits 1 when a high or critical
 * finding is reported or when the scan cannot run.
 *
 * The scan's modules import @phr/shared-types, which resolves to its compiled
 * dist/: it is compiled first, then the scan is loaded.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function main(): Promise<number> {
  const build = spawnSync(process.execPath, [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-b', 'shared-types'], { cwd: repoRoot, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('compiling shared-types failed');
  const { scan } = await import('./scan.js');
  return scan();
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`Scan failed to run: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
