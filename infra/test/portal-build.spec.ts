/**
 * The portal's build and its preview server (frontend/vite.config.ts): the key directory's log
 * key is part of every build (docs/running.md "Log key of the key directory"), and the dynamic
 * scan serves a finished build with `vite preview` (infra/scan/portal.ts), which needs no key.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { run } from '../local/processes.js';
import { REPO_ROOT } from '../local/stack.js';
import { previewPortal } from '../scan/portal.js';

const VITE = path.join(REPO_ROOT, 'node_modules/vite/bin/vite.js');
const FRONTEND = path.join(REPO_ROOT, 'frontend');

describe('the portal build and its preview', () => {
  let folder: string;

  beforeAll(async () => {
    folder = await mkdtemp(path.join(os.tmpdir(), 'phr-portal-build-'));
  });

  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('refuses to build a portal without the log key, naming the variable', async () => {
    const build = run(process.execPath, [VITE, 'build', '--outDir', path.join(folder, 'refused'), '--logLevel', 'warn'], FRONTEND, { VITE_KEY_LOG_PUBLIC_KEY: '' });
    await expect(build).rejects.toThrow(/VITE_KEY_LOG_PUBLIC_KEY must be the public half[^]*it is not set/);
  });

  it('serves a finished build with vite preview in an environment without the log key', async () => {
    const built = path.join(folder, 'built');
    await mkdir(built);
    await writeFile(path.join(built, 'index.html'), '<!doctype html><title>built portal</title>');
    const lines: string[] = [];
    const preview = await previewPortal('http://127.0.0.1:9', built, (line) => lines.push(line));
    try {
      const response = await fetch(`${preview.url}/`);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('built portal');
    } finally {
      await preview.stop();
    }
  });
});
