/**
 * What the deployed images hold (ASVS 5.0 13.4.1, 15.2.3): no source-control metadata, no
 * secrets file, and in the stage that runs only built output and package manifests, so
 * neither `.git`, tests nor sources reach production. Reads the real `.dockerignore` and
 * Dockerfiles.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DOCKERFILES = ['infra/docker/api.Dockerfile', 'infra/docker/web.Dockerfile'];

/** A `COPY` line of a Dockerfile: its `--from` stage (null for the build context) and its sources. */
interface Copy {
  from: string | null;
  sources: string[];
}

/** The COPY lines of the last stage, the one the image runs. */
function copiesOfFinalStage(dockerfile: string): Copy[] {
  const lines = dockerfile.split('\n').map((line) => line.trim());
  const lastFrom = lines.map((line) => /^FROM\s/i.test(line)).lastIndexOf(true);
  return lines
    .slice(lastFrom + 1)
    .filter((line) => /^COPY\s/i.test(line))
    .map((line) => {
      const words = line.split(/\s+/).slice(1);
      const from = words.find((word) => word.startsWith('--from='))?.slice('--from='.length) ?? null;
      const paths = words.filter((word) => !word.startsWith('--'));
      return { from, sources: paths.slice(0, -1) };
    });
}

/** Package manifests (needed to install production dependencies) and the proxy's configuration (the Caddyfile and the load-balancing settings it imports). */
const CONTEXT_FILES_ALLOWED = /^((\w[\w-]*\/)?package\.json|package-lock\.json|infra\/docker\/Caddyfile|infra\/docker\/api-load-balancing\.caddy)$/;

describe('the images built for Compose', () => {
  it('keeps .git and .env out of every build context', () => {
    const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').map((line) => line.trim());
    expect(ignored).toEqual(expect.arrayContaining(['.git', '.env']));
  });

  it.each(DOCKERFILES)('puts only built output and package manifests into the final stage of %s', (file) => {
    const copies = copiesOfFinalStage(readFileSync(path.join(ROOT, file), 'utf8'));
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      for (const source of copy.sources) {
        const allowed = copy.from === null ? CONTEXT_FILES_ALLOWED.test(source) : /\/dist$/.test(source);
        expect({ file, from: copy.from, source, allowed }).toEqual({ file, from: copy.from, source, allowed: true });
      }
    }
  });

  it('reads a stage that copies sources or the whole context as not allowed', () => {
    const copies = copiesOfFinalStage('FROM a AS build\nCOPY . .\nFROM b\nCOPY --from=build /app/backend/src src\nCOPY . /app\n');
    expect(copies).toEqual([
      { from: 'build', sources: ['/app/backend/src'] },
      { from: null, sources: ['.'] },
    ]);
    expect(CONTEXT_FILES_ALLOWED.test('.')).toBe(false);
    expect(/\/dist$/.test('/app/backend/src')).toBe(false);
  });
});
