/**
 * `npm run sbom` writes the CycloneDX inventory of every third-party component
 * installed with the project (ASVS 14.2.5); CI keeps it with the test results.
 * This checks the inventory is whole: every package of the lock file that is
 * installed on this machine is in it, at the locked version. (npm's `--omit dev`
 * form was tried and dropped: it leaves out `minio`, a production dependency of
 * the backend that another workspace also lists for its tests.)
 */
import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface LockEntry {
  /** Set when the folder name is an alias (`string-width-cjs` for `npm:string-width@4`); npm lists either name. */
  name?: string;
  version?: string;
  link?: boolean;
}

describe('software bill of materials', () => {
  it('lists every installed package of the lock file at its locked version', async () => {
    const { stdout } = await promisify(execFile)('npm', ['sbom', '--sbom-format', 'cyclonedx'], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
    const sbom = JSON.parse(stdout) as { bomFormat: string; components: { name: string; group?: string; version: string }[] };
    expect(sbom.bomFormat).toBe('CycloneDX');
    const listed = new Set(sbom.components.map((component) => `${component.group ? `${component.group}/` : ''}${component.name}@${component.version}`));

    const lock = JSON.parse(await readFile(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
    const installed = Object.entries(lock.packages)
      .filter(([where, entry]) => where.includes('node_modules/') && entry.version && !entry.link && existsSync(path.join(root, where, 'package.json')))
      .map(([where, entry]) => ({ folder: where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length), ...entry }));
    const missing = installed.filter(({ folder, name, version }) => !listed.has(`${folder}@${version}`) && !listed.has(`${name}@${version}`));
    expect(installed.length).toBeGreaterThan(300);
    expect(missing.map(({ folder, version }) => `${folder}@${version}`)).toEqual([]);
    for (const name of ['@nestjs/core', 'react', 'fflate', 'pg', 'minio', 'typeorm']) {
      expect([...listed].some((entry) => entry.startsWith(`${name}@`))).toBe(true);
    }
  }, 120_000);
});
