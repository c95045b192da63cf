/**
 * Debian's Chromium driven by playwright-core (TOOLCHAIN.md): headless, no
 * sandbox (root), no background networking, a fresh profile per context.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export interface BrowserOptions {
  /**
   * An HTTP proxy every request goes through, the portal's own origin on
   * localhost included (Chromium leaves loopback out of proxying unless told):
   * the lying-server harness (support/lying-server.ts).
   */
  proxyUrl?: string;
}

/** A browser with its own empty profile: cookies, storage and workers of its own. */
export async function openBrowser(options: BrowserOptions = {}): Promise<BrowserSession> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'phr-chromium-'));
  const proxyArgs = options.proxyUrl ? [`--proxy-server=${options.proxyUrl}`, '--proxy-bypass-list=<-loopback>'] : [];
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, ...proxyArgs],
    viewport: { width: 1280, height: 900 },
  });
  // Ceilings, not waits: on a starved machine (two shared cores, several suites) a first load of the
  // portal's bundles in a fresh profile has taken over 20 s; a condition that holds returns at once.
  context.setDefaultTimeout(30_000);
  context.setDefaultNavigationTimeout(45_000);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export function portalUrl(pathname = '/'): string {
  const base = process.env.E2E_PORTAL_URL;
  if (!base) throw new Error('E2E_PORTAL_URL is not set: run the browser suite through Jest');
  return new URL(pathname, base).toString();
}
