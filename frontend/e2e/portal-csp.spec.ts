import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { openBrowser, portalUrl, type BrowserSession } from './support/browser.js';
import { confirmRecoveryCode, newPerson, register } from './support/portal.js';
import { openRecordsPage, pngFile, titleOf, uploadFiles } from './support/records.js';

interface Violation {
  directive: string;
  blockedURI: string;
}

declare global {
  interface Window {
    cspViolations: Violation[];
    inlineScriptRan?: boolean;
  }
}

/** Collects every CSP violation the page reports, from before its first script runs. */
async function recordViolations(page: Page): Promise<void> {
  await page.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      window.cspViolations.push({ directive: event.effectiveDirective, blockedURI: event.blockedURI });
    });
  });
}

function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter((words) => words[0])
      .map(([name, ...sources]) => [name, sources]),
  );
}

describe('the portal is served under a strict Content-Security-Policy (Chromium)', () => {
  let browser: BrowserSession;
  const refusals: string[] = [];

  beforeAll(async () => {
    browser = await openBrowser();
    await recordViolations(browser.page);
    browser.page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) refusals.push(message.text());
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('sends the policy and the other security headers with the portal page', async () => {
    const response = await fetch(portalUrl('/register'), { headers: { Accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('permissions-policy')).toBe('camera=(), microphone=(), geolocation=(), payment=()');

    const policy = directives(response.headers.get('content-security-policy') ?? '');
    const scriptSources = policy.get('script-src') ?? [];
    expect(scriptSources[0]).toBe("'self'");
    // Only exact inline scripts, each named by its hash: no 'unsafe-inline', no eval, no wildcard.
    for (const source of scriptSources.slice(1)) expect(source).toMatch(/^'sha256-[A-Za-z0-9+/]{43}='$/);
    expect(policy.get('style-src')?.join(' ')).not.toContain('unsafe-inline');
    expect(policy.get('default-src')).toEqual(["'self'"]);
    expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
    expect(policy.get('object-src')).toEqual(["'none'"]);
    expect(policy.get('base-uri')).toEqual(["'none'"]);
    expect(policy.get('connect-src')).toEqual(["'self'", new URL(process.env.E2E_S3_ENDPOINT ?? '').origin]);
  });

  it('sends the policy with the scripts the page loads, the crypto worker among them', async () => {
    const response = await fetch(portalUrl('/src/crypto/worker.ts'));
    expect(response.status).toBe(200);
    expect(directives(response.headers.get('content-security-policy') ?? '').get('connect-src')).toContain(new URL(process.env.E2E_S3_ENDPOINT ?? '').origin);
  });

  it('registers, uploads and previews a record without a single violation', async () => {
    const { page } = browser;
    await confirmRecoveryCode(page, await register(page, newPerson('patient')));
    await openRecordsPage(page);
    const scan = pngFile('csp-scan.png', 4, 3);
    await uploadFiles(page, [scan]);
    await page.getByRole('button', { name: `Open ${titleOf(scan)}` }).click();
    const preview = page.getByRole('dialog', { name: titleOf(scan) }).getByRole('img');
    await expect(preview.evaluate((img: HTMLImageElement) => img.decode().then(() => img.naturalWidth))).resolves.toBe(4);

    await expect(page.evaluate(() => window.cspViolations)).resolves.toEqual([]);
    expect(refusals).toEqual([]);
  });

  it('enforces the policy: a script injected into the page does not run and is reported', async () => {
    const { page } = browser;
    await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.inlineScriptRan = true;';
      document.body.append(script);
    });
    await page.waitForFunction(() => window.cspViolations.length > 0);
    await expect(page.evaluate(() => window.inlineScriptRan ?? false)).resolves.toBe(false);
    await expect(page.evaluate(() => window.cspViolations)).resolves.toEqual([{ directive: 'script-src-elem', blockedURI: 'inline' }]);
  });
});
