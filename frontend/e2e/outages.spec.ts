/**
 * The portal through a short outage: when the API answers a commit with 503
 * (a dependency could not serve; nothing was saved), the portal waits as
 * Retry-After says and commits again, keeping the file it already encrypted
 * and stored, instead of failing the upload.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { confirmRecoveryCode, newPerson, register, type Person } from './support/portal.js';
import { markedFile, openRecordsPage, titleOf, uploadRow } from './support/records.js';

describe('uploads through a database that is briefly unavailable (Chromium)', () => {
  let browser: BrowserSession;
  let patient: Person;

  beforeAll(async () => {
    browser = await openBrowser();
    patient = newPerson('patient');
    await confirmRecoveryCode(browser.page, await register(browser.page, patient));
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('commits again after a 503 and finishes the upload with the same file', async () => {
    const { page } = browser;
    const file = markedFile(`retried-${randomBytes(4).toString('hex')}.dat`, 40_000, 'RETRY');
    await openRecordsPage(page);
    const operator = new pg.Client({ connectionString: process.env.E2E_DATABASE_URL });
    operator.on('error', () => undefined);
    await operator.connect();
    let released = false;
    try {
      // Nothing may write a record while the operator holds this lock: the commit waits
      // until the API's lock timeout, then answers 503 with Retry-After.
      await operator.query('BEGIN');
      await operator.query('LOCK TABLE records IN SHARE MODE');
      const refused = page.waitForResponse((response) => response.url().endsWith('/api/records') && response.request().method() === 'POST' && response.status() === 503, {
        timeout: 60_000,
      });
      await page.locator('input[type=file]').setInputFiles([{ name: file.name, mimeType: file.mimeType, buffer: file.buffer }]);
      const answer = await refused;
      expect(Number(answer.headers()['retry-after'])).toBeGreaterThan(0);
      await operator.query('ROLLBACK');
      released = true;
    } finally {
      if (!released) await operator.query('ROLLBACK').catch(() => undefined);
      await operator.end();
    }
    await uploadRow(page, file).and(page.locator('[data-phase=done]')).waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: `Open ${titleOf(file)}` }).waitFor();
  });
});
