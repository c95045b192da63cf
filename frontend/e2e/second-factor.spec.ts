import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import jsQR from 'jsqr';
import { Secret, TOTP } from 'otpauth';
import type { Locator, Page } from 'playwright-core';
import { freePort } from '@phr/infra/local/ports.js';
import { startStack, type RunningStack } from '@phr/infra/local/stack.js';
import { dropDatabase } from '@phr/infra/local/test-database.js';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { disabledState, textOf } from './support/eventually.js';
import { fillSignIn, newPerson, openAccountSection, register, signOut } from './support/portal.js';

const STEP_MS = 30_000;

/** Draws the SVG QR code on a canvas in the page at the size the page shows it, as a camera would see it, and decodes it with jsQR. */
async function scanQrCode(page: Page, qrCode: Locator): Promise<string> {
  const svg = await qrCode.evaluate((element) => new XMLSerializer().serializeToString(element));
  const { width, pixels } = await page.evaluate(
    async (markup) => {
      const image = new Image();
      image.src = URL.createObjectURL(new Blob([markup], { type: 'image/svg+xml' }));
      await image.decode();
      const side = image.naturalWidth;
      const canvas = document.createElement('canvas');
      canvas.width = side;
      canvas.height = side;
      const context = canvas.getContext('2d');
      if (!context) throw new Error('no 2D canvas');
      context.imageSmoothingEnabled = false;
      context.drawImage(image, 0, 0, side, side);
      return { width: side, pixels: Array.from(context.getImageData(0, 0, side, side).data) };
    },
    svg,
  );
  const decoded = jsQR(Uint8ClampedArray.from(pixels), width, width);
  if (!decoded) throw new Error('the QR code on the page does not scan');
  return decoded.data;
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the browser suite through Jest (its global setup starts the stack)`);
  return value;
}

/**
 * The browser suite's stack runs without the policy, so that every other spec's doctors and
 * auditors sign in as before (docs/running.md "Second factors"). This spec starts one of its own
 * with REQUIRE_SECOND_FACTOR_ROLES=doctor, on the same PostgreSQL server, sharing the suite
 * stack's secrets (the database roles are the server's), with a database, object store, mail
 * server, API and portal of its own; the portal helpers follow it through E2E_PORTAL_URL and
 * E2E_MAIL_DIR, which Jest keeps per test file.
 */
describe('a second factor required of doctors: the portal makes one enrol an authenticator app, then asks for its code (ASVS 6.3.2)', () => {
  let stack: RunningStack | undefined;
  let browser: BrowserSession;
  let dataDir: string;
  const adminUrl = requiredEnv('E2E_POSTGRES_ADMIN_URL');
  const database = `phr_e2e_mfa_${randomBytes(5).toString('hex')}`;
  const logs: string[] = [];
  /** Every URL the page requested: no code may be in one of the API's. */
  const requestedUrls: string[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'phr-e2e-mfa-'));
    await copyFile(path.join(requiredEnv('E2E_DATA_DIR'), 'secrets.json'), path.join(dataDir, 'secrets.json'));
    stack = await startStack({
      dataDir,
      apiPort: await freePort(),
      portalPort: await freePort(),
      postgresPort: await freePort(),
      s3Port: await freePort(),
      smtpPort: await freePort(),
      database,
      env: { PATH: process.env.PATH, DATABASE_URL: adminUrl, REQUIRE_SECOND_FACTOR_ROLES: 'doctor', RATE_LIMIT_REQUESTS: '10000000', RATE_LIMIT_REGISTRATIONS: '10000000', RATE_LIMIT_REGISTRATION_MAILS: '10000000' },
      // The suite's global setup compiled the API already.
      build: false,
      log: (line) => logs.push(line),
    }).catch((error: unknown) => {
      console.error(logs.join('\n'));
      throw error;
    });
    process.env.E2E_PORTAL_URL = stack.portalUrl;
    if (!stack.mailDir) throw new Error('the second stack keeps no mail on this machine');
    process.env.E2E_MAIL_DIR = stack.mailDir;
    browser = await openBrowser();
    browser.page.on('request', (request) => requestedUrls.push(request.url()));
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await dropDatabase(adminUrl, database).catch(() => undefined);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('takes a doctor without a second factor to its enrolment, then signs them in with the app’s code', async () => {
    const { page } = browser;
    const doctor = newPerson('doctor');
    const recoveryCode = await register(page, doctor);
    await page.getByLabel('I have stored this code somewhere safe').check();
    await page.getByLabel('Type the last group of the code to confirm').fill(recoveryCode.split('-').at(-1) ?? '');
    await page.getByRole('button', { name: 'Continue' }).click();

    // Nothing but the enrolment opens: no navigation, only Sign out.
    await page.getByRole('heading', { name: 'Set up a second factor' }).waitFor();
    expect(await page.getByRole('link', { name: 'Account', exact: true }).count()).toBe(0);
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const typed = (await textOf(page.getByTestId('totp-secret'), /^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/)).replace(/ /g, '');
    // The app is set up as a phone would: by scanning the QR code on the screen.
    const scanned = new URL(await scanQrCode(page, page.getByRole('img', { name: 'QR code of the authenticator key' })));
    expect([scanned.protocol, scanned.host, scanned.searchParams.get('secret')]).toEqual(['otpauth:', 'totp', typed]);
    expect(decodeURIComponent(scanned.pathname)).toContain(doctor.email);
    const app = new TOTP({ secret: Secret.fromBase32(scanned.searchParams.get('secret') ?? ''), algorithm: 'SHA1', digits: 6, period: 30 });
    const confirmedAt = Date.now();
    const enrolmentCode = app.generate({ timestamp: confirmedAt });
    await page.getByLabel('Code the app shows now').fill(enrolmentCode);
    await page.getByRole('button', { name: 'Confirm code' }).click();
    // The session's token is refreshed into a full one: the portal opens.
    await page.getByRole('link', { name: 'Account', exact: true }).waitFor();

    await signOut(page);
    await fillSignIn(page, doctor.email, doctor.password);
    const codeField = page.getByLabel('Code from your authenticator app');
    await codeField.waitFor();
    // The enrolment used its time step: a later step's code (the next one, or the current one once time has moved on).
    const signInCode = app.generate({ timestamp: Math.max(Date.now(), confirmedAt + STEP_MS) });
    await codeField.fill(signInCode);
    const confirmButton = page.getByRole('button', { name: 'Confirm code' });
    await disabledState(confirmButton, false);
    await confirmButton.click();
    await openAccountSection(page, 'security');
    await page.getByTestId('totp-active').waitFor();

    const apiUrls = requestedUrls.filter((url) => new URL(url).pathname.startsWith('/api/'));
    expect(apiUrls.length).toBeGreaterThan(0);
    const leaks = apiUrls.filter((url) => url.includes(enrolmentCode) || url.includes(signInCode));
    expect(leaks).toEqual([]);
  });
});
