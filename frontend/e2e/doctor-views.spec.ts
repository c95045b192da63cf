/**
 * What a doctor sees after the patient's changes (issue 15), in two browsers: the name of a shared
 * folder, sealed for the doctor at share time (docs/protocol.md "Folder labels"); a record moved
 * into a shared folder; a consent that expires while the doctor's page is open; and the doctor's
 * access history naming the records still shared by their decrypted titles.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Locator, Page } from 'playwright-core';
import { type BrowserSession } from './support/browser.js';
import { countOf, eventuallyAsync, textOf } from './support/eventually.js';
import { withDatabase } from './support/operator.js';
import { type Person } from './support/portal.js';
import { downloadRecord, markedFile, openRecordsPage, sha256, titleOf, uploadFiles } from './support/records.js';
import { chooseDoctor, confirmDoctorKey, openSharedWithMe, patientAndApprovedDoctor } from './support/sharing.js';

/** How long the expiring consent lasts from its creation: long enough for the doctor's list to show it. */
const EXPIRY_MS = 10_000;

describe('a doctor’s views after the patient’s changes (Chromium, two browsers)', () => {
  let patientBrowser: BrowserSession;
  let doctorBrowser: BrowserSession;
  let patient: Person;
  let doctor: Person;
  let doctorFingerprint: string;
  const tag = randomBytes(4).toString('hex');
  const firstName = `Cardiology ${tag} – Zürich`;
  const folderName = `Heart ${tag}`;
  const inFolder = markedFile(`ecg-${tag}.dat`, 3_000, `ECG-${tag}`);
  const moved = markedFile(`holter-${tag}.dat`, 4_000, `HOLTER-${tag}`);
  const expiring = markedFile(`stress-test-${tag}.dat`, 2_000, `STRESS-${tag}`);

  beforeAll(async () => {
    ({ patientBrowser, doctorBrowser, patient, doctor, doctorFingerprint } = await patientAndApprovedDoctor());
  });
  afterAll(async () => {
    await Promise.all([patientBrowser?.close(), doctorBrowser?.close()]);
  });

  /** The share dialog opened by `opener`: find the doctor, check the numbers, share, close. */
  async function share(page: Page, opener: () => Promise<void>, options: { isFirstShare: boolean }): Promise<void> {
    await opener();
    const dialog = page.getByRole('dialog', { name: 'Share with a doctor' });
    await chooseDoctor(dialog, doctor);
    await confirmDoctorKey(dialog, doctorFingerprint, options);
    await dialog.getByRole('button', { name: 'Share', exact: true }).click();
    await dialog.getByText(`with ${doctor.displayName}.`).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
  }

  /** The doctor comes back to the tab: the portal asks for the shared lists again (as it does every 30 s). */
  const backToTab = (page: Page) => page.evaluate(() => document.dispatchEvent(new Event('visibilitychange', { bubbles: true })));

  /** Changes the stored folder label as a server (or anyone with the database) could. */
  const setFolderLabel = (sql: string) => withDatabase((client) => client.query(`UPDATE consents SET ${sql} WHERE doctor_id = (SELECT id FROM users WHERE email = $1) AND scope = 'folder'`, [doctor.email]));

  it('shows the shared folder’s name on the doctor’s Shared with me, and its new name after a rename; a changed label says it could not be decrypted, none says "Shared folder"', async () => {
    const page = patientBrowser.page;
    await openRecordsPage(page);
    await page.getByLabel('New folder').fill(firstName);
    await page.getByRole('button', { name: 'Add folder' }).click();
    await page.getByRole('button', { name: firstName, exact: true }).and(page.locator('[aria-current=true]')).waitFor();
    await uploadFiles(page, [inFolder]);
    await share(page, () => page.getByRole('button', { name: 'Share this folder' }).click(), { isFirstShare: true });

    const doctorPage = doctorBrowser.page;
    await openSharedWithMe(doctorPage);
    await textOf(doctorPage.getByTestId('shared-folder-name'), `Folder “${firstName}”`, { exact: true });
    await doctorPage.getByRole('button', { name: `Open ${titleOf(inFolder)}` }).waitFor();
    const stored = await withDatabase((client) => client.query<{ name: string }>('SELECT folder_label_name AS name FROM consents WHERE folder_label_name IS NOT NULL'));
    expect(stored.rows.map((row) => row.name).join()).not.toContain(tag);

    // A rename seals the new name for the doctor in the same action.
    await page.getByRole('button', { name: 'Rename folder' }).click();
    await page.getByLabel('New folder name').fill(folderName);
    await page.getByRole('button', { name: 'Save name' }).click();
    await page.getByRole('button', { name: folderName, exact: true }).waitFor();
    await backToTab(doctorPage);
    await textOf(doctorPage.getByTestId('shared-folder-name'), `Folder “${folderName}”`, { exact: true });

    // One character of the wrap changed: the label no longer opens, and the page says so.
    await setFolderLabel(`folder_label_wrap = (CASE WHEN left(folder_label_wrap, 1) = 'A' THEN 'B' ELSE 'A' END) || substr(folder_label_wrap, 2)`);
    await backToTab(doctorPage);
    await textOf(doctorPage.getByTestId('shared-folder-name'), 'Folder (name could not be decrypted)', { exact: true });
    await setFolderLabel('folder_label_wrap = NULL, folder_label_name = NULL');
    await backToTab(doctorPage);
    await textOf(doctorPage.getByTestId('shared-patient'), 'Shared folder');
    await doctorPage.getByRole('button', { name: `Open ${titleOf(inFolder)}` }).waitFor();
  });

  it('a record the patient moves into the shared folder is wrapped for the doctor, who sees and opens it', async () => {
    const page = patientBrowser.page;
    await page.getByRole('button', { name: 'All records', exact: true }).click();
    await uploadFiles(page, [moved]);
    await page.getByRole('button', { name: `Move ${titleOf(moved)}`, exact: true }).click();
    await page.getByLabel(`Move “${titleOf(moved)}” to`).selectOption(folderName);
    await page.getByText(`The folder is shared: ${doctor.displayName} will be able to open this record.`).waitFor();
    await page.getByRole('button', { name: 'Move', exact: true }).click();
    await page.getByText(`Moved “${titleOf(moved)}” to the folder “${folderName}”`).waitFor();

    const doctorPage = doctorBrowser.page;
    await backToTab(doctorPage);
    const downloaded = await downloadRecord(doctorPage, moved);
    expect(downloaded.name).toBe(moved.name);
    expect(sha256(downloaded.bytes)).toBe(sha256(moved.buffer));
  });

  it('a consent that expires: the doctor opening the record is told it expired and when, and the record leaves the list', async () => {
    const page = patientBrowser.page;
    await uploadFiles(page, [expiring]);
    // The dialog takes a whole day; the grant it sends is given an expiry a few seconds away.
    let expiresAt = '';
    await page.route('**/api/consents', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      expiresAt = new Date(Date.now() + EXPIRY_MS).toISOString();
      await route.continue({ postData: JSON.stringify({ ...(route.request().postDataJSON() as object), expiresAt }) });
    });
    await share(page, () => page.getByRole('button', { name: `Share ${titleOf(expiring)}` }).click(), { isFirstShare: false });
    await page.unroute('**/api/consents');
    expect(expiresAt).not.toBe('');

    const doctorPage = doctorBrowser.page;
    await backToTab(doctorPage);
    await doctorPage.getByRole('button', { name: `Open ${titleOf(expiring)}` }).waitFor();
    // The expiry itself, as the database's consent rule sees it: asked until it holds, never slept for.
    await eventuallyAsync('the record consent to be past its expiry', () =>
      withDatabase(async (client) => {
        const { rows } = await client.query<{ in_force: boolean }>(
          `SELECT consent_in_force(c) AS in_force FROM consents c WHERE c.scope = 'record' AND c.expires_at = $1::timestamptz`,
          [expiresAt],
        );
        return rows.length === 1 && !rows[0].in_force;
      }),
    );
    await doctorPage.getByRole('button', { name: `Open ${titleOf(expiring)}` }).click();
    const day = await doctorPage.evaluate((iso) => new Date(iso).toLocaleDateString(), expiresAt);
    await textOf(doctorPage.getByRole('alert').filter({ hasText: 'expired on' }), `The access ${patient.displayName} gave you expired on ${day}`, { exact: true });
    await doctorPage.getByRole('button', { name: `Open ${titleOf(expiring)}` }).waitFor({ state: 'detached' });
    await doctorPage.getByRole('button', { name: `Open ${titleOf(moved)}` }).waitFor();
  });

  it('the doctor’s access history names the records still shared by their titles, decrypted in the doctor’s browser, and others "a record"', async () => {
    const doctorPage = doctorBrowser.page;
    await doctorPage.getByRole('link', { name: 'Access history' }).click();
    await doctorPage.getByRole('heading', { name: 'Your access history' }).waitFor();
    const rows = doctorPage.getByTestId('audit-row');
    await rows.filter({ hasText: `You opened ${titleOf(moved)}` }).first().waitFor();
    await rows.filter({ hasText: 'You tried to open a record' }).first().waitFor();
    expect(await rows.filter({ hasText: titleOf(expiring) }).count()).toBe(0);
  });

  it('long consent lists come a page at a time: the newest first, the rest on "Show more", on the doctor’s Shared with me and the patient’s Consents', async () => {
    // 55 older consents over everything, as a patient who shared for years would have.
    await withDatabase((client) =>
      client.query(
        `INSERT INTO consents (id, patient_id, doctor_id, scope, purpose, status, created_at)
         SELECT gen_random_uuid(), p.id, d.id, 'all', 'Follow-up ' || g, 'active', now() - g * interval '1 day' FROM users p, users d, generate_series(1, 55) g
          WHERE p.email = $1 AND d.email = $2`,
        [patient.email, doctor.email],
      ),
    );
    const counted = await withDatabase((client) =>
      client.query<{ every: number; active: number }>(
        'SELECT count(*)::int AS every, (count(*) FILTER (WHERE consent_in_force(c)))::int AS active FROM consents c WHERE c.doctor_id = (SELECT id FROM users WHERE email = $1)',
        [doctor.email],
      ),
    );
    const { every, active } = counted.rows[0];

    const doctorPage = doctorBrowser.page;
    await openSharedWithMe(doctorPage);
    const shares = doctorPage.locator('[data-testid=shared-patient] > ul > li');
    await countOf(shares, 20);
    await showEverything(doctorPage, shares);
    await countOf(shares, active);
    await doctorPage.getByText('Follow-up 55').waitFor();

    const page = patientBrowser.page;
    await page.getByRole('link', { name: 'Consents' }).click();
    await page.getByRole('heading', { name: 'Who can see your records' }).waitFor();
    const consentRows = page.getByTestId('consent-row');
    await countOf(consentRows, 50);
    await showEverything(page, consentRows);
    await countOf(consentRows, every);
    await consentRows.filter({ hasText: 'Follow-up 55' }).waitFor();
  });

  /** Clicks "Show more" until the last page is in and the button is gone, each time waiting for the page's rows to show. */
  async function showEverything(page: Page, rows: Locator): Promise<void> {
    const more = page.getByRole('button', { name: 'Show more' });
    await more.waitFor();
    while ((await more.count()) > 0) {
      const shown = await rows.count();
      await more.click();
      await eventuallyAsync('the next page to show', async () => (await rows.count()) > shown);
    }
  }
});
