/**
 * Uploads when the connection or the store fails (issue 15): a PUT that fails
 * says "retrying n of 4" while it waits, instead of silence; an upload that
 * fails for good keeps its file and offers Retry; an offline browser is told;
 * an Open whose download the store stops answering ends with a message.
 * The store's failures are made by failing the segment PUTs in the browser's
 * network layer (the worker's requests go through the context's routes).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import type { Route } from 'playwright-core';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { confirmRecoveryCode, newPerson, register, type Person } from './support/portal.js';
import { markedFile, openRecordsPage, titleOf, uploadRow } from './support/records.js';
import { textOf } from './support/eventually.js';

/** A segment object's URL in the store: records/<record id>/<segment index>. */
const isSegmentUrl = (url: URL) => /\/records\/[0-9a-f-]{36}\/\d+$/.test(url.pathname);

describe('uploads through failures (Chromium)', () => {
  let browser: BrowserSession;
  let patient: Person;
  const tag = randomBytes(4).toString('hex');

  beforeAll(async () => {
    browser = await openBrowser();
    patient = newPerson('patient');
    await confirmRecoveryCode(browser.page, await register(browser.page, patient));
    await openRecordsPage(browser.page);
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** Fails the next `count` segment PUTs as a lost connection would; returns how many were failed so far. */
  async function failPuts(count: number): Promise<() => number> {
    let failed = 0;
    await browser.context.route(isSegmentUrl, async (route: Route) => {
      if (route.request().method() === 'PUT' && failed < count) {
        failed += 1;
        await route.abort('failed');
      } else await route.continue();
    });
    return () => failed;
  }

  it('says which retry it is on while a failed PUT waits, then finishes', async () => {
    const { page } = browser;
    const file = markedFile(`flaky-${tag}.dat`, 5_000, 'FLAKY');
    const failedSoFar = await failPuts(2);
    try {
      await page.locator('input[type=file]').setInputFiles([file]);
      await textOf(uploadRow(page, file).getByTestId('upload-status'), 'The connection failed: retrying 2 of 4', { exact: true });
      await uploadRow(page, file).and(page.locator('[data-phase=done]')).waitFor({ timeout: 60_000 });
      await page.getByRole('button', { name: `Open ${titleOf(file)}` }).waitFor();
      if (failedSoFar() !== 2) throw new Error(`expected 2 failed PUTs, saw ${failedSoFar()}`);
    } finally {
      await browser.context.unroute(isSegmentUrl);
    }
  });

  it('keeps the file of an upload that failed for good, and uploads it again on Retry', async () => {
    const { page } = browser;
    const file = markedFile(`unlucky-${tag}.dat`, 3_000, 'UNLUCKY');
    await failPuts(4);
    try {
      await page.locator('input[type=file]').setInputFiles([file]);
      const row = uploadRow(page, file);
      await row.and(page.locator('[data-phase=failed]')).waitFor({ timeout: 60_000 });
      await textOf(row.getByRole('alert'), 'The connection to the storage service failed. Try again.', { exact: true });
    } finally {
      await browser.context.unroute(isSegmentUrl);
    }
    await page.getByRole('button', { name: `Retry upload of ${file.name}` }).click();
    await uploadRow(page, file).and(page.locator('[data-phase=done]')).waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: `Open ${titleOf(file)}` }).waitFor();
  });

  it('ends an Open the store stops answering with a message, instead of spinning', async () => {
    const { page } = browser;
    let answer: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (answer = resolve));
    await browser.context.route(isSegmentUrl, async (route: Route) => {
      if (route.request().method() !== 'GET') return route.continue();
      // The store takes the request and never answers, until the test ends.
      await released;
      // The portal gave up on it first (its watchdog aborted the fetch), which already ended the route.
      await route.abort('failed').catch(() => undefined);
    });
    try {
      await page.getByRole('button', { name: `Open ${titleOf(`flaky-${tag}.dat`)}` }).click();
      await textOf(page.getByRole('alert').filter({ hasText: 'stopped answering' }), 'The storage service stopped answering for 20 seconds; nothing was opened. Try again.', {
        exact: true,
        timeoutMs: 60_000,
      });
      await page.getByRole('button', { name: `Open ${titleOf(`flaky-${tag}.dat`)}` }).and(page.locator('[aria-busy=false]')).waitFor();
    } finally {
      answer();
      await browser.context.unroute(isSegmentUrl);
    }
  });

  it('shows a banner while the browser is offline, and takes it away when the connection is back', async () => {
    const { page, context } = browser;
    await context.setOffline(true);
    try {
      await textOf(page.getByTestId('offline-banner'), /You are offline/);
    } finally {
      await context.setOffline(false);
    }
    await page.getByTestId('offline-banner').waitFor({ state: 'detached' });
  });
});
