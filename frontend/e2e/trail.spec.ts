import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Request } from 'playwright-core';
import { type BrowserSession } from './support/browser.js';
import { checkedState, countOf, eventuallyAsync, textOf } from './support/eventually.js';
import { type Person } from './support/portal.js';
import { downloadRecord, markedFile, openRecordsPage, titleOf, uploadFiles } from './support/records.js';
import { openSharedWithMe, patientAndApprovedDoctor, shareRecordWith } from './support/sharing.js';

/**
 * A trail a patient can read (issue 15): a doctor's read in plain words with the doctor's name
 * and the record's title decrypted in the browser, filters from lists, the technical details
 * behind a toggle, "Who accessed my records", and notifications with an unread count and
 * per-kind opt-outs.
 */
describe('a trail a patient can read, and notifications (Chromium, two browsers)', () => {
  let patientBrowser: BrowserSession;
  let doctorBrowser: BrowserSession;
  let doctor: Person;
  let doctorFingerprint: string;
  const tag = randomBytes(4).toString('hex');
  const xray = markedFile(`chest-xray-${tag}.pdf`, 3000, `XRAY-${tag}`);
  const other = markedFile(`lab-results-${tag}.pdf`, 2000, `LAB-${tag}`);

  beforeAll(async () => {
    ({ patientBrowser, doctorBrowser, doctor, doctorFingerprint } = await patientAndApprovedDoctor());
    const page = patientBrowser.page;
    await openRecordsPage(page);
    await uploadFiles(page, [xray, other]);
    await shareRecordWith(page, xray, doctor, doctorFingerprint);
    await openSharedWithMe(doctorBrowser.page);
    await downloadRecord(doctorBrowser.page, xray);
  });
  afterAll(async () => {
    await Promise.all([patientBrowser?.close(), doctorBrowser?.close()]);
  });

  it('says who opened which record in plain words, filters by person and record from lists, and keeps the technical columns behind a toggle', async () => {
    const page = patientBrowser.page;
    // The titles are looked up by the ids the rows name (GET /records?ids=), never by listing every record.
    const listings: URL[] = [];
    const onRequest = (request: Request) => {
      const url = new URL(request.url());
      if (request.method() === 'GET' && url.pathname.endsWith('/records')) listings.push(url);
    };
    page.on('request', onRequest);
    await page.getByRole('link', { name: 'Audit trail' }).click();
    await textOf(page.getByTestId('chain-status'), /^Chain verified in this browser/);
    const sentence = `${doctor.displayName} opened ${titleOf(xray)}`;
    await page.getByTestId('audit-sentence').filter({ hasText: sentence }).first().waitFor();
    page.off('request', onRequest);
    expect(listings.length).toBeGreaterThan(0);
    expect(listings.map((url) => url.searchParams.get('ids')?.split(',').length ?? 'every record')).toEqual(listings.map(() => 2));
    // No ids and no codes until asked for.
    await countOf(page.getByRole('columnheader', { name: 'Action code' }), 0);
    await countOf(page.getByTestId('audit-row').filter({ hasText: 'record.read' }), 0);

    await page.getByRole('combobox', { name: /^Person/ }).selectOption({ label: doctor.displayName });
    await countOf(page.getByTestId('audit-sentence').filter({ hasNotText: doctor.displayName }), 0);
    await page.getByTestId('audit-sentence').filter({ hasText: sentence }).first().waitFor();

    await page.getByRole('combobox', { name: /^Person/ }).selectOption({ label: 'Anyone' });
    // The Record filter offers the records the rows named, in the order of their titles (uploaded
    // the other way round, and their ids are random).
    const recordOptions = page.getByRole('combobox', { name: /^Record/ }).locator('option');
    const byTitle = JSON.stringify(['Any', titleOf(xray), titleOf(other)]);
    await eventuallyAsync(`the Record filter offers ${byTitle}`, async () => JSON.stringify(await recordOptions.allTextContents()) === byTitle);
    await page.getByRole('combobox', { name: /^Record/ }).selectOption({ label: titleOf(other) });
    await page.getByTestId('audit-sentence').filter({ hasText: `You saved ${titleOf(other)}` }).waitFor();
    await countOf(page.getByTestId('audit-sentence').filter({ hasText: titleOf(xray) }), 0);

    await page.getByRole('combobox', { name: /^Record/ }).selectOption({ label: titleOf(xray) });
    await page.getByLabel('Show technical details').check();
    const doctorRow = page.getByTestId('audit-row').filter({ hasText: sentence }).first();
    await textOf(doctorRow, /Chrome on Linux.*127\.0\.0\.1.*record\.read/);
  });

  it('sums up who else accessed the records in the last 30 days on the records page', async () => {
    const page = patientBrowser.page;
    await openRecordsPage(page);
    const entry = page.getByTestId('who-accessed-entry').filter({ hasText: doctor.displayName });
    await textOf(entry, `${doctor.displayName} opened 1 record (once)`);
    // Only other people: the patient's own reads and uploads are not listed.
    await countOf(page.getByTestId('who-accessed-entry'), 1);
  });

  it('lists notifications with an unread count, marks them read, and leaves out a kind opted out of', async () => {
    const page = patientBrowser.page;
    // The count is read again on each page change: the doctor's read came after the share.
    await textOf(page.getByTestId('unread-badge'), '2', { exact: true });
    await page.getByRole('link', { name: /^Notifications/ }).click();
    await textOf(page.getByTestId('unread-count'), '2 unread', { exact: true });
    await textOf(page.getByTestId('notifications-verified'), 'Checked against your audit trail, verified in this browser', { exact: true });
    const access = page.getByTestId('notification').filter({ hasText: `${doctor.displayName} opened ${titleOf(xray)}` });
    await textOf(access, /^New /);
    await page.getByTestId('notification').filter({ hasText: `You shared ${titleOf(xray)}` }).waitFor();
    await page.getByRole('button', { name: 'Mark all as read' }).click();
    await textOf(page.getByTestId('unread-count'), 'Nothing unread');
    await countOf(page.getByTestId('unread-badge'), 0);
    await countOf(page.locator('[data-testid="notification"].unread'), 0);

    await page.getByLabel('Someone else opened one of my records: in the portal').uncheck();
    await page.getByRole('button', { name: 'Save notification settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    // The doctor opens the record again: no notification of that kind, no unread count.
    await downloadRecord(doctorBrowser.page, xray);
    await openRecordsPage(page);
    await page.getByRole('link', { name: /^Notifications/ }).click();
    await checkedState(page.getByLabel('Someone else opened one of my records: in the portal'), false);
    await checkedState(page.getByLabel('Someone else opened one of my records: by email'), true);
    await page.getByTestId('notification').filter({ hasText: `You shared ${titleOf(xray)}` }).waitFor();
    await countOf(page.locator('[data-testid="notification"][data-kind="access"]'), 0);
    await textOf(page.getByTestId('unread-count'), 'Nothing unread');
  });
});
