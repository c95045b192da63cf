/**
 * The states issue 15 added, on a 360 px phone and to axe (zero violations), in Chromium: the
 * records page with "Who accessed my records" and a record's edit and move forms, the
 * notifications with an unread count, the lock screen, the offline banner, a doctor told that
 * the patient withdrew access, and an auditor's trail ("Whose trail") and API access page. Each
 * check waits for the state it names; each page must also fit the window (no sideways scroll).
 * The wider pages and states are in accessibility.spec.ts and phone.spec.ts.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { expectNoAxeViolations } from './support/axe.js';
import { openBrowser, portalUrl, type BrowserSession } from './support/browser.js';
import { approveDoctor, redeemInvitation, staffInvitation } from './support/clinicians.js';
import { attributeOf, textOf } from './support/eventually.js';
import { expectNoHorizontalScroll, goByMenu, PHONES } from './support/phone.js';
import { confirmRecoveryCode, newPerson, register, type Person } from './support/portal.js';
import { downloadRecord, markedFile, openRecordsPage, titleOf, uploadFiles } from './support/records.js';
import { openSharedWithMe, shareRecordWith } from './support/sharing.js';

const REGISTRATIONS_TIMEOUT_MS = 300_000;
const PHONE = PHONES[0];

/** The state on a phone: nothing past the window's edge, and nothing axe finds. */
async function expectFitsAndAccessible(page: Page, state: string): Promise<void> {
  await expectNoHorizontalScroll(page, state);
  await expectNoAxeViolations(page, { state: `${state} at ${PHONE.width} px` });
}

describe('the states issue 15 added, on a phone and to axe (Chromium)', () => {
  let patientBrowser: BrowserSession;
  let doctorBrowser: BrowserSession;
  let auditorBrowser: BrowserSession;
  let patient: Person;
  let doctor: Person;
  const tag = randomBytes(4).toString('hex');
  // Long names without spaces, like the titles that pushed cards past the edge before.
  const xray = markedFile(`chest-xray-posteroanterior-and-lateral-${tag}.pdf`, 3000, `STATES-XRAY-${tag}`);
  const letter = markedFile(`discharge-letter-cardiology-ward-${tag}.pdf`, 2000, `STATES-LETTER-${tag}`);

  beforeAll(async () => {
    [patientBrowser, doctorBrowser, auditorBrowser] = await Promise.all([openBrowser(), openBrowser(), openBrowser()]);
    patient = newPerson('patient');
    doctor = newPerson('doctor');
    await Promise.all([
      register(patientBrowser.page, patient).then((code) => confirmRecoveryCode(patientBrowser.page, code)),
      register(doctorBrowser.page, doctor).then((code) => confirmRecoveryCode(doctorBrowser.page, code)),
    ]);
    await approveDoctor(doctor);
    const doctorFingerprint = await textOf(doctorBrowser.page.getByTestId('fingerprint'), /^(\d{5} ){7}\d{5}$/);
    // Set up at the desktop width the helpers navigate at; the checks run on a phone.
    await openRecordsPage(patientBrowser.page);
    await uploadFiles(patientBrowser.page, [xray, letter]);
    await shareRecordWith(patientBrowser.page, xray, doctor, doctorFingerprint);
    await openSharedWithMe(doctorBrowser.page);
    await downloadRecord(doctorBrowser.page, xray);
    await Promise.all([patientBrowser, doctorBrowser].map((browser) => browser.page.setViewportSize(PHONE)));
  }, REGISTRATIONS_TIMEOUT_MS);
  afterAll(async () => {
    await Promise.all([patientBrowser?.close(), doctorBrowser?.close(), auditorBrowser?.close()]);
  });

  it('the notifications, one unread', async () => {
    const { page } = patientBrowser;
    await goByMenu(page, /^Notifications/, 'Notifications');
    await page.getByTestId('notification').filter({ hasText: `${doctor.displayName} opened ${titleOf(xray)}` }).waitFor();
    await textOf(page.getByTestId('notifications-verified'), 'Checked against your audit trail, verified in this browser', { exact: true });
    await expectFitsAndAccessible(page, 'notifications, unread');
  });

  it('the records page with who accessed them, and a record’s edit and move forms', async () => {
    const { page } = patientBrowser;
    // From another page: the summary is read as the records page opens.
    await goByMenu(page, 'Consents', 'Who can see your records');
    await goByMenu(page, 'Records', 'Your records');
    await textOf(page.getByTestId('who-accessed-entry').filter({ hasText: doctor.displayName }), `${doctor.displayName} opened 1 record (once)`);
    await expectFitsAndAccessible(page, 'records page, who accessed them');

    await page.getByRole('button', { name: `Edit ${titleOf(letter)}` }).click();
    const form = page.getByRole('form', { name: `Edit ${titleOf(letter)}` });
    await form.getByRole('button', { name: 'Save changes' }).waitFor();
    await expectFitsAndAccessible(page, 'records page, a record’s edit form');
    await form.getByRole('button', { name: 'Cancel' }).click();
    await form.waitFor({ state: 'detached' });

    // A folder to move it to, then the form with its choice of folders.
    const folderName = `Cardiology ${tag}`;
    await page.getByLabel('New folder').fill(folderName);
    await page.getByRole('button', { name: 'Add folder' }).click();
    await page.getByRole('button', { name: folderName, exact: true }).and(page.locator('[aria-current=true]')).waitFor();
    await page.getByRole('button', { name: 'All records', exact: true }).click();
    await page.getByRole('button', { name: `Move ${titleOf(letter)}`, exact: true }).click();
    const move = page.locator('.record-move');
    await move.getByLabel(`Move “${titleOf(letter)}” to`).waitFor();
    await move.getByRole('button', { name: 'Move', exact: true }).and(page.locator(':enabled')).waitFor();
    await expectFitsAndAccessible(page, 'records page, a record’s move form');
    await move.getByRole('button', { name: 'Cancel' }).click();
    await move.waitFor({ state: 'detached' });
  });

  it('the lock screen, then unlocked', async () => {
    const { page } = patientBrowser;
    const menu = page.getByRole('button', { name: 'Menu' });
    await menu.click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Lock', exact: true }).click();
    await page.getByRole('heading', { name: 'Unlock' }).waitFor();
    await expectFitsAndAccessible(page, 'lock screen');
    await page.getByLabel('Password').fill(patient.password);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByRole('heading', { name: 'Unlock' }).waitFor({ state: 'detached' });
    // The menu closed as Lock was pressed: unlocked, the page shows no open menu.
    await attributeOf(menu, 'aria-expanded', 'false');
  });

  it('the offline banner', async () => {
    const { page, context } = patientBrowser;
    await context.setOffline(true);
    try {
      await textOf(page.getByTestId('offline-banner'), 'You are offline.');
      await expectFitsAndAccessible(page, 'offline banner');
    } finally {
      await context.setOffline(false);
    }
    await page.getByTestId('offline-banner').waitFor({ state: 'detached' });
  });

  it('a doctor told that the patient withdrew access', async () => {
    const doctorPage = doctorBrowser.page;
    await goByMenu(doctorPage, 'Shared with me', 'Shared with me');
    const open = doctorPage.getByRole('button', { name: `Open ${titleOf(xray)}` });
    await open.waitFor();

    const page = patientBrowser.page;
    await goByMenu(page, 'Consents', 'Who can see your records');
    const consent = page.getByTestId('consent-row').filter({ hasText: doctor.displayName });
    await consent.getByRole('button', { name: `Revoke ${doctor.displayName}` }).click();
    await consent.getByRole('button', { name: 'Yes, revoke' }).click();
    // On a phone each cell names itself first ("Status: revoked", CSS generated content).
    await textOf(consent.locator('td[data-label="Status"]'), 'revoked', { exact: true });

    // The doctor's page still lists the record from before the revocation (it refreshes on focus
    // and every 30 s): opening it now says who ended the access.
    await open.click();
    await doctorPage.getByRole('alert').filter({ hasText: `${patient.displayName} withdrew access on` }).waitFor();
    await expectFitsAndAccessible(doctorPage, 'shared with me, access withdrawn');
  });

  it('an auditor’s trail with whose trail it is, and the API access page with a token', async () => {
    const { page } = auditorBrowser;
    const auditor = { email: `auditor-states-${tag}@example.org`, password: `basalt Harbour lantern ${tag} quill` };
    const code = await staffInvitation('auditor', auditor.email, `Audit desk ${tag}`);
    await page.goto(portalUrl(`/register?invitation=${encodeURIComponent(code)}`));
    await redeemInvitation(page, auditor);
    await page.setViewportSize(PHONE);

    await goByMenu(page, 'Audit trail', 'Audit trail');
    await textOf(page.getByTestId('chain-status'), /^Chain verified in this browser/);
    await page.getByTestId('audit-subject').first().waitFor();
    await expectFitsAndAccessible(page, 'auditor’s audit trail');

    await goByMenu(page, 'API access', 'API access');
    await page.getByLabel('What is it for?').fill('Checks from a phone');
    await page.getByRole('button', { name: 'Issue a read-only token' }).click();
    await page.getByTestId('api-tokens').getByText('Checks from a phone').waitFor();
    await expectFitsAndAccessible(page, 'API access page, a token issued');
  }, REGISTRATIONS_TIMEOUT_MS);
});
