import { afterEach, describe, expect, it } from '@jest/globals';
import { ROUTES, type ProofOfWorkChallenge } from '@phr/shared-types';
import type { Page, Request } from 'playwright-core';
import { attack } from './support/attacker.js';
import { openBrowser, portalUrl, type BrowserSession } from './support/browser.js';
import { confirmRecoveryCode, fillSignIn, newPerson, readRecoveryCode, register, signOut } from './support/portal.js';

/**
 * Records every text the device check shows on this page: it may show for
 * less than a second, too briefly to wait for, but a DOM observer sees it.
 */
async function watchDeviceCheck(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { deviceChecks: string[] }).deviceChecks = seen;
    new MutationObserver(() => {
      const text = document.querySelector('[data-testid="device-check"]')?.textContent;
      if (text && seen.at(-1) !== text) seen.push(text);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  return () => page.evaluate(() => (window as unknown as { deviceChecks: string[] }).deviceChecks);
}

/**
 * How long a browser may work on the most difficult proof before the test gives up: seconds on an
 * idle machine, far more on two busy cores. Every wait that spans the work (the request that
 * carries the proof, the page after it) gets this budget, not the context's default.
 */
const WORK_MS = 120_000;

/** What the portal asked and sent on one attempt: the difficulty it was given, and the proof it sent with the secret. */
function watchExchange(page: Page, route: 'login' | 'recoveryKeys' | 'recoveryReset') {
  const difficulty = page
    .waitForResponse((response) => response.url().endsWith(ROUTES.proofOfWork.path), { timeout: WORK_MS })
    .then(async (response) => ((await response.json()) as ProofOfWorkChallenge).difficulty);
  const proof = page
    .waitForRequest((request: Request) => request.url().endsWith(ROUTES[route].path) && request.method() === 'POST', { timeout: WORK_MS })
    .then((request) => (request.postDataJSON() as { proofOfWork?: unknown }).proofOfWork);
  return { difficulty, proof };
}

/** The default cap (LOGIN_POW_MAX_BITS): the most a browser is ever asked. */
const MAX_BITS = 22;

describe('signing in while someone keeps failing with the email (ASVS 5.0 6.1.1, Chromium)', () => {
  const browsers: BrowserSession[] = [];
  const open = async () => {
    const session = await openBrowser();
    browsers.push(session);
    return session;
  };
  afterEach(async () => {
    await Promise.all(browsers.splice(0).map((session) => session.close()));
  });

  it('lets the owner in on a new browser after a short device check, then straight in on it while the attack goes on', async () => {
    const owner = newPerson('patient');
    const home = await open();
    await confirmRecoveryCode(home.page, await register(home.page, owner));
    await signOut(home.page);
    const statuses = await attack(owner.email, 15);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(new Set(statuses.slice(5))).toEqual(new Set([429]));

    // A browser the account has never seen: it does the most work there is, then it is in.
    const { page } = await open();
    await page.goto(portalUrl('/login'));
    const deviceChecks = await watchDeviceCheck(page);
    const first = watchExchange(page, 'login');
    await fillSignIn(page, owner.email, owner.password);
    // The work takes seconds (more on a busy machine): wait for its end, not for a time.
    await page.getByRole('heading', { name: 'Your records' }).waitFor({ timeout: WORK_MS });
    await expect(first.difficulty).resolves.toBe(MAX_BITS);
    await expect(first.proof).resolves.toEqual({ challenge: expect.any(String), nonce: expect.stringMatching(/^\d{1,16}$/) });
    const shown = await deviceChecks();
    expect(shown[0]).toBe('Checking this device… 0 s');
    for (const text of shown) expect(text).toMatch(/^Checking this device… \d+ s$/);

    // The attack goes on; this browser is a known device now and goes straight in, and so does the one that registered.
    await attack(owner.email, 3);
    for (const browser of [page, home.page]) {
      if (browser === page) await signOut(page);
      await browser.goto(portalUrl('/login'));
      const quietChecks = await watchDeviceCheck(browser);
      const again = watchExchange(browser, 'login');
      await fillSignIn(browser, owner.email, owner.password);
      await browser.getByRole('heading', { name: 'Your records' }).waitFor();
      await expect(again.difficulty).resolves.toBe(0);
      await expect(again.proof).resolves.toBeUndefined();
      await expect(quietChecks()).resolves.toEqual([]);
    }
  }, 300_000);

  it('lets the owner recover on a new browser after one device check while someone keeps guessing recovery codes', async () => {
    const owner = newPerson('patient');
    const home = await open();
    const code = await readRecoveryCodeAfterRegistering(home.page, owner);
    const statuses = await attack(owner.email, 12, 'recoveryKeys');
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(new Set(statuses.slice(5))).toEqual(new Set([429]));

    const { page } = await open();
    await page.goto(portalUrl('/recover'));
    const deviceChecks = await watchDeviceCheck(page);
    const keys = watchExchange(page, 'recoveryKeys');
    const newPassword = `${owner.password} recovered`;
    await page.getByLabel('Email').fill(owner.email);
    await page.getByLabel('Recovery code').fill(code);
    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByLabel('Confirm new password').fill(newPassword);
    const reset = page.waitForRequest((request) => request.url().endsWith(ROUTES.recoveryReset.path), { timeout: WORK_MS });
    await page.getByRole('button', { name: 'Set new password' }).click();
    const newCode = await readRecoveryCodeWithin(page, WORK_MS);
    expect(newCode).not.toBe(code);
    await expect(keys.difficulty).resolves.toBeGreaterThan(0);
    await expect(keys.proof).resolves.toEqual({ challenge: expect.any(String), nonce: expect.stringMatching(/^\d{1,16}$/) });
    // The code proved the account from this browser: the reset owed no second proof.
    expect(((await reset).postDataJSON() as { proofOfWork?: unknown }).proofOfWork).toBeUndefined();
    expect((await deviceChecks())[0]).toBe('Checking this device… 0 s');
  }, 300_000);
});

/** The new code, once the work and the recovery are done. */
async function readRecoveryCodeWithin(page: Page, timeout: number): Promise<string> {
  await page.getByTestId('recovery-code').waitFor({ timeout });
  return readRecoveryCode(page);
}

async function readRecoveryCodeAfterRegistering(page: Page, person: ReturnType<typeof newPerson>): Promise<string> {
  const code = await register(page, person);
  await confirmRecoveryCode(page, code);
  await signOut(page);
  return code;
}
