/**
 * Debian's Chromium driven by playwright-core (TOOLCHAIN.md): headless, no
 * sandbox (root), no background networking, a fresh profile per context.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { noteBrowserEvent } from './diagnostics.js';

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
  noteEvents(context, `browser ${++browsersOpened}`);
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

/** Browsers this test file opened, to tell their events apart. */
let browsersOpened = 0;

/** What a failed test prints of this browser (support/diagnostics.ts): what went wrong in it, and where its pages went. */
function noteEvents(context: BrowserContext, name: string): void {
  const note = (text: string) => noteBrowserEvent(name, text);
  const portal = process.env.E2E_PORTAL_URL;
  const shown = (url: string) => (portal && url.startsWith(portal) ? url.slice(portal.length) : url);
  const watch = (page: Page) => {
    page.on('pageerror', (error) => note(`page error: ${error.message}`));
    page.on('crash', () => note('page crashed'));
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) note(`at ${shown(frame.url())}`);
    });
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  context.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') note(`console ${message.type()}: ${message.text()}`);
  });
  context.on('requestfailed', (request) => note(`${request.method()} ${shown(request.url())} failed: ${request.failure()?.errorText ?? 'unknown'}`));
  context.on('response', (response) => {
    // The API's refusals are what many tests check; a portal file or an object-store request that fails is not.
    const isApi = new URL(response.url()).pathname.startsWith('/api/');
    if (response.status() >= 500 || (!isApi && response.status() >= 400)) note(`${response.request().method()} ${shown(response.url())} answered ${response.status()}`);
  });
  context.on('close', () => note('closed'));
}

export function portalUrl(pathname = '/'): string {
  const base = process.env.E2E_PORTAL_URL;
  if (!base) throw new Error('E2E_PORTAL_URL is not set: run the browser suite through Jest');
  return new URL(pathname, base).toString();
}
