/**
 * Break-glass for clinicians (issue 16; docs/protocol.md "Break-glass"), in four browsers: a
 * patient sets up an emergency folder with one holder (k = 1) after comparing the holder's
 * numbers; an approved clinician breaks the glass; the patient is told; the holder releases their
 * share, re-wrapped in their browser for the clinician's proven key; the clinician opens the
 * record, decrypted with the emergency key in their browser, byte for byte the file uploaded;
 * once the time box is over the clinician is told it ended, the patient's next visit makes a new
 * emergency key, and an auditor records the review.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { openBrowser, portalUrl, type BrowserSession } from './support/browser.js';
import { createAuditorCommand, redeemInvitation } from './support/clinicians.js';
import { eventuallyAsync, textOf } from './support/eventually.js';
import { withDatabase } from './support/operator.js';
import { expectNoHorizontalScroll, PHONES } from './support/phone.js';
import { confirmRecoveryCode, newPerson, openAccountPage, register, type Person } from './support/portal.js';
import { downloadRecord, markedFile, openRecordsPage, sha256, titleOf, uploadFiles } from './support/records.js';
import { patientAndApprovedDoctor } from './support/sharing.js';
import { expectNoAxeViolations } from './support/axe.js';

const REASON_TEXT = 'Unconscious on arrival, allergies unknown';

describe('break-glass: a patient’s emergency folder opened by a clinician with a holder’s share (Chromium, four browsers)', () => {
  let patientBrowser: BrowserSession;
  let clinicianBrowser: BrowserSession;
  let holderBrowser: BrowserSession;
  let patient: Person;
  let clinician: Person;
  const holder = newPerson('patient');
  let holderFingerprint: string;
  const tag = randomBytes(4).toString('hex');
  const folderName = `Emergency ${tag}`;
  const allergies = markedFile(`allergies-${tag}.dat`, 5_000, `ALLERGIES-${tag}`);

  beforeAll(async () => {
    ({ patientBrowser, doctorBrowser: clinicianBrowser, patient, doctor: clinician } = await patientAndApprovedDoctor());
    holderBrowser = await openBrowser();
    await confirmRecoveryCode(holderBrowser.page, await register(holderBrowser.page, holder));
    await openAccountPage(holderBrowser.page);
    holderFingerprint = await textOf(holderBrowser.page.getByTestId('fingerprint'), /^(\d{5} ){7}\d{5}$/);
  });
  afterAll(async () => {
    await Promise.all([patientBrowser?.close(), clinicianBrowser?.close(), holderBrowser?.close()]);
  });

  const openEmergencyPage = async (page: Page) => {
    await page.getByRole('link', { name: 'Emergency access', exact: true }).click();
    await page.getByRole('heading', { name: 'Emergency access', level: 1 }).waitFor();
  };
  const openBreakGlassPage = async (page: Page) => {
    await page.getByRole('link', { name: 'Break the glass', exact: true }).click();
    await page.getByRole('heading', { name: 'Break the glass', level: 1 }).waitFor();
  };
  /** The page 360 px wide has nothing past the window's edge; then the desktop width again. */
  const onPhone = async (page: Page, where: string) => {
    await page.setViewportSize(PHONES[0]);
    await expectNoHorizontalScroll(page, where);
    await page.setViewportSize({ width: 1280, height: 900 });
  };
  const breakOf = (sql: string) =>
    withDatabase((client) => client.query(`UPDATE emergency_breaks SET ${sql} WHERE patient_id = (SELECT id FROM users WHERE email = $1)`, [patient.email]));

  it('the patient makes an emergency folder with a record and names one holder (k = 1) after comparing the holder’s numbers', async () => {
    const page = patientBrowser.page;
    await openRecordsPage(page);
    await page.getByLabel('New folder').fill(folderName);
    await page.getByRole('button', { name: 'Add folder' }).click();
    await page.getByRole('button', { name: folderName, exact: true }).and(page.locator('[aria-current=true]')).waitFor();
    await uploadFiles(page, [allergies]);

    await openEmergencyPage(page);
    await textOf(page.getByTestId('emergency-status'), 'Emergency access is off.', { exact: true });
    await page.getByRole('radio', { name: 'One folder (allergies, medication, conditions)' }).check();
    await page.getByLabel('Emergency folder').selectOption(folderName);
    await page.getByLabel('Holder’s email').fill(holder.email);
    await page.getByRole('button', { name: 'Add holder' }).click();
    const listed = page.getByTestId('holder').filter({ hasText: holder.displayName });
    await textOf(listed.getByTestId('doctor-fingerprint'), holderFingerprint, { exact: true });
    await listed.getByRole('button', { name: 'I compared the numbers' }).click();
    await textOf(listed.getByTestId('contact-status'), /^Verified on \d/);
    await page.getByLabel('Shares needed (k of 1)').fill('1');
    await expectNoAxeViolations(page);
    await page.getByRole('button', { name: 'Save emergency access' }).click();
    await page.getByText('Saved: a new emergency key, 1 of 1 holders needed.').waitFor({ timeout: 60_000 });
    await textOf(page.getByTestId('emergency-status'), /^Emergency access is on for your emergency folder: 1 of 1 holders must release their shares\./);
    await onPhone(page, 'the patient’s emergency access page');
  });

  it('the clinician breaks the glass (ETREAT); the patient sees the notification and the trail row', async () => {
    const page = clinicianBrowser.page;
    await openBreakGlassPage(page);
    await page.getByLabel('Patient’s email').fill(patient.email);
    await page.getByLabel('Reason').selectOption('ETREAT');
    await page.getByLabel(/^What is happening/).fill(REASON_TEXT);
    await page.getByRole('button', { name: 'Break the glass', exact: true }).click();
    const view = page.getByTestId('break-view');
    await textOf(view.getByTestId('break-state'), /^Waiting for shares: 0 of 1 released\./);

    const patientPage = patientBrowser.page;
    await patientPage.getByRole('link', { name: /^Notifications/ }).click();
    await patientPage.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
    await patientPage.getByTestId('notification').filter({ hasText: 'broke the glass' }).filter({ hasText: clinician.displayName }).first().waitFor();
    await patientPage.getByRole('link', { name: 'Audit trail' }).click();
    await patientPage.getByRole('heading', { name: 'Audit trail', level: 1 }).waitFor();
    await patientPage.getByTestId('audit-row').filter({ hasText: 'broke the glass' }).first().waitFor();
    // The emergency page lists the break and leaves the key alone while it runs. The list of breaks is held back
    // here until the settings (now asking for a re-key) and the holders' proven keys are in: the list this browser
    // kept from its first visit, older than the break, must not start a re-key meanwhile (seen once in CI).
    const rekeys: string[] = [];
    patientPage.on('request', (request) => {
      if (request.method() === 'PUT' && new URL(request.url()).pathname === '/api/emergency/setup') rekeys.push(request.url());
    });
    let releaseBreaks = () => {};
    const breaksHeld = new Promise<void>((resolve) => (releaseBreaks = resolve));
    await patientPage.route('**/api/emergency/breaks', async (route) => {
      await breaksHeld;
      await route.continue();
    });
    await openEmergencyPage(patientPage);
    await textOf(patientPage.getByTestId('holder').filter({ hasText: holder.displayName }).getByTestId('contact-status'), /^Verified on \d/);
    await textOf(patientPage.getByTestId('rekey-needed'), /Checking whether an emergency access is under way/);
    expect(rekeys).toEqual([]);
    releaseBreaks();
    await patientPage.getByTestId('patient-break').filter({ hasText: REASON_TEXT }).waitFor();
    await textOf(patientPage.getByTestId('rekey-needed'), /a new key now would end it/);
    await patientPage.unroute('**/api/emergency/breaks');
    expect(rekeys).toEqual([]);
  });

  it('the holder releases their share to the clinician’s proven key; the clinician opens the record, byte for byte the file', async () => {
    const page = holderBrowser.page;
    await openEmergencyPage(page);
    const request = page.getByTestId('share-request').filter({ hasText: clinician.displayName });
    await textOf(request.getByTestId('request-reason'), `Emergency treatment (ETREAT): ${REASON_TEXT}`, { exact: true });
    await textOf(request.getByTestId('clinician-fingerprint'), /^(\d{5} ){7}\d{5}$/);
    await expectNoAxeViolations(page);
    await request.getByRole('button', { name: `Release my share to ${clinician.displayName}` }).click();
    await page.getByRole('status').filter({ hasText: `Your share was released to ${clinician.displayName} for the records of ${patient.displayName}.` }).waitFor();
    await request.waitFor({ state: 'detached' });

    const clinicianPage = clinicianBrowser.page;
    const view = clinicianPage.getByTestId('break-view');
    await textOf(view.getByTestId('break-state'), /^Open until /);
    await view.getByTestId('emergency-record').filter({ hasText: titleOf(allergies) }).waitFor({ timeout: 30_000 });
    const downloaded = await downloadRecord(clinicianPage, allergies);
    expect(downloaded.name).toBe(allergies.name);
    expect(sha256(downloaded.bytes)).toBe(sha256(allergies.buffer));
    await expectNoAxeViolations(clinicianPage);
    // The read is the patient's: a record.read by the clinician, reason "break-glass".
    const reads = await withDatabase((client) =>
      client.query<{ count: string }>(
        `SELECT count(*) FROM audit_events WHERE action = 'record.read' AND outcome = 'allow' AND reason = 'break-glass' AND actor_id = (SELECT id FROM users WHERE email = $1)`,
        [clinician.email],
      ),
    );
    expect(Number(reads.rows[0].count)).toBeGreaterThanOrEqual(1);
    await onPhone(clinicianPage, 'the clinician’s break-glass page');
  });

  it('after the time box the clinician is told the access ended, and the patient’s next visit makes a new emergency key', async () => {
    await breakOf(`expires_at = now() - interval '1 second'`);
    await eventuallyAsync('the break to be past its time box', () =>
      withDatabase(async (client) => {
        const { rows } = await client.query<{ ended: boolean }>(
          `SELECT expires_at <= now() AS ended FROM emergency_breaks WHERE patient_id = (SELECT id FROM users WHERE email = $1)`,
          [patient.email],
        );
        return rows.length === 1 && rows[0].ended;
      }),
    );
    const page = clinicianBrowser.page;
    await page.getByRole('button', { name: `Open ${titleOf(allergies)}` }).click();
    await textOf(page.getByTestId('break-ended'), /^This emergency access has ended/);
    await page.getByRole('button', { name: `Open ${titleOf(allergies)}` }).waitFor({ state: 'detached' });

    const patientPage = patientBrowser.page;
    await patientPage.getByRole('link', { name: 'Account', exact: true }).click();
    await openEmergencyPage(patientPage);
    await eventuallyAsync('the patient’s browser to make a new emergency key', () =>
      withDatabase(async (client) => {
        const { rows } = await client.query<{ generation: number }>(`SELECT generation FROM emergency_setups WHERE patient_id = (SELECT id FROM users WHERE email = $1)`, [
          patient.email,
        ]);
        return rows[0]?.generation === 2;
      }),
    );
    await patientPage.getByTestId('rekey-needed').waitFor({ state: 'detached' });
  });

  it('an auditor records the review: justified, with a note', async () => {
    const auditorBrowser = await openBrowser();
    try {
      const page = auditorBrowser.page;
      const email = `auditor-${newPerson('patient').email}`;
      await page.goto(portalUrl(`/register?invitation=${await createAuditorCommand(email, 'Hospital security')}`));
      await redeemInvitation(page, { email, password: holder.password });
      await page.getByRole('link', { name: 'Emergency reviews' }).click();
      await page.getByRole('heading', { name: 'Emergency access reviews', level: 1 }).waitFor();
      const item = page.getByTestId('review-item').filter({ hasText: REASON_TEXT });
      await item.waitFor();
      await expectNoAxeViolations(page);
      await item.getByRole('radio', { name: 'Justified', exact: true }).check();
      await item.getByLabel('Note').fill('Seen in the emergency room log');
      await item.getByRole('button', { name: 'Record the review' }).click();
      await page.getByLabel('Show').selectOption('reviewed');
      await textOf(page.getByTestId('review-item').filter({ hasText: REASON_TEXT }).getByTestId('review-outcome'), /^Justified on .*: Seen in the emergency room log$/);
    } finally {
      await auditorBrowser.close();
    }
  });
});
