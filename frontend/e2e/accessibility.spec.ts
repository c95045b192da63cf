/**
 * axe-core over every page of the portal and its main states (issue 15), in
 * Chromium: signed out, then as a patient, a doctor, an operator and an
 * auditor, each in a browser of their own. Each check waits for the state it
 * names before axe reads the page. Swagger UI's page (/api/docs) is checked by
 * swagger.spec.ts.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { RECORD_CHUNK_BYTES } from '@phr/shared-types';
import { expectNoAxeViolations } from './support/axe.js';
import { openBrowser, portalUrl, type BrowserSession } from './support/browser.js';
import { approveDoctor, listedClinician, newOperator, openClinicians, redeemInvitation, registerOperator, staffInvitation, type Operator } from './support/clinicians.js';
import { textOf } from './support/eventually.js';
import { confirmRecoveryCode, fillSignIn, newPerson, openAccountSection, openRegistrationForm, register, startRegistration, type Person } from './support/portal.js';
import { markedFile, openRecordsPage, pngFile, titleOf, uploadFiles } from './support/records.js';
import { chooseDoctor, confirmDoctorKey, openSharedWithMe } from './support/sharing.js';

const REGISTRATIONS_TIMEOUT_MS = 300_000;

describe('no axe violations on any page or state (Chromium)', () => {
  let visitor: BrowserSession;
  let patientBrowser: BrowserSession;
  let doctorBrowser: BrowserSession;
  let operatorBrowser: BrowserSession;
  let patient: Person;
  let doctor: Person;
  let operator: Operator;
  let doctorFingerprint: string;
  const tag = randomBytes(4).toString('hex');
  const labResult = markedFile(`ferritin-${tag}.dat`, RECORD_CHUNK_BYTES + 11, `AXE-MARKER-${tag}`);
  const scan = pngFile(`knee-scan-${tag}.png`, 6, 4);

  beforeAll(async () => {
    [visitor, patientBrowser, doctorBrowser, operatorBrowser] = await Promise.all([openBrowser(), openBrowser(), openBrowser(), openBrowser()]);
    patient = newPerson('patient');
    doctor = newPerson('doctor');
    operator = newOperator();
    await Promise.all([
      register(doctorBrowser.page, doctor).then((code) => confirmRecoveryCode(doctorBrowser.page, code)),
      registerOperator(operatorBrowser.page, operator),
    ]);
  }, REGISTRATIONS_TIMEOUT_MS);
  afterAll(async () => {
    await Promise.all([visitor?.close(), patientBrowser?.close(), doctorBrowser?.close(), operatorBrowser?.close()]);
  });

  describe('signed out', () => {
    it('the sign-in page, empty and after a wrong password', async () => {
      const { page } = visitor;
      await page.goto(portalUrl('/login'));
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await expectNoAxeViolations(page, { state: 'sign-in page' });
      await fillSignIn(page, `nobody-${tag}@example.org`, 'not the password at all');
      await page.getByText('Email or password is incorrect.').waitFor();
      await expectNoAxeViolations(page, { state: 'sign-in page, wrong password' });
    });

    it('the registration steps: the email, the inbox notice, the form with its hints and errors', async () => {
      const { page } = visitor;
      const person = newPerson('doctor');
      await page.goto(portalUrl('/register'));
      await page.getByRole('heading', { name: 'Create your account' }).waitFor();
      await expectNoAxeViolations(page, { state: 'registration, first step' });
      await startRegistration(page, person);
      await expectNoAxeViolations(page, { state: 'registration, check your inbox' });
      await openRegistrationForm(page, person);
      await page.getByRole('radio', { name: 'Doctor' }).check();
      await page.getByLabel('Licence or registration number').waitFor();
      await page.getByLabel('Password', { exact: true }).fill('short');
      await page.getByLabel('Confirm password').fill('different');
      await expectNoAxeViolations(page, { state: 'registration form, a weak password that does not match' });
    });

    it('the recovery page', async () => {
      const { page } = visitor;
      await page.goto(portalUrl('/recover'));
      await page.getByRole('heading', { name: 'Recover your account' }).waitFor();
      await expectNoAxeViolations(page, { state: 'recovery page' });
    });

    it('an invitation link that is not valid', async () => {
      const { page } = visitor;
      await page.goto(portalUrl(`/register?invitation=${'0'.repeat(16)}`));
      await page.getByRole('heading', { name: 'Accept your invitation' }).waitFor();
      await expectNoAxeViolations(page, { state: 'invitation form' });
    });
  });

  describe('a patient', () => {
    it('the recovery code page, then the account pages', async () => {
      const { page } = patientBrowser;
      const code = await register(page, patient);
      await expectNoAxeViolations(page, { state: 'recovery code page' });
      await confirmRecoveryCode(page, code);
      await page.getByTestId('fingerprint').waitFor();
      await expectNoAxeViolations(page, { state: 'patient account page' });
      await openAccountSection(page, 'security');
      await page.getByTestId('sessions').locator('tbody tr').first().waitFor();
      await expectNoAxeViolations(page, { state: 'patient account security page' });
      for (const section of ['keys', 'data'] as const) {
        await openAccountSection(page, section);
        await expectNoAxeViolations(page, { state: `patient account ${section} page` });
      }
    }, REGISTRATIONS_TIMEOUT_MS);

    it('the records page: empty, uploading, with records, a folder, an image open', async () => {
      const { page } = patientBrowser;
      await openRecordsPage(page);
      await page.getByText('No records here yet.').waitFor();
      await expectNoAxeViolations(page, { state: 'records page, empty' });
      await uploadFiles(page, [labResult, scan]);
      await expectNoAxeViolations(page, { state: 'records page, uploads finished, two records' });
      await page.getByRole('button', { name: `Delete ${titleOf(labResult)}`, exact: true }).click();
      await page.getByText(`Moved “${titleOf(labResult)}” to the trash`).waitFor();
      await expectNoAxeViolations(page, { state: 'records page, a record moved to the trash' });
      await page.getByRole('button', { name: 'Trash', exact: true }).click();
      await page.getByRole('button', { name: `Delete ${titleOf(labResult)} now` }).click();
      await page.getByRole('button', { name: 'Yes, delete' }).waitFor();
      await expectNoAxeViolations(page, { state: 'the trash, delete-now confirmation' });
      await page.getByRole('button', { name: 'Keep' }).click();
      await page.getByRole('button', { name: `Restore ${titleOf(labResult)}` }).click();
      await page.getByText('The trash is empty.').waitFor();
      await page.getByRole('button', { name: 'Back to records' }).click();
      await page.getByRole('button', { name: `Share ${titleOf(labResult)}` }).waitFor();
      await page.getByRole('button', { name: `Open ${titleOf(scan)}` }).click();
      await page.getByTestId('record-preview').waitFor();
      await expectNoAxeViolations(page, { state: 'records page, image viewer open' });
      await page.keyboard.press('Escape');
      await page.getByTestId('record-preview').waitFor({ state: 'detached' });
      await page.getByLabel('New folder').fill(`Bloods ${tag}`);
      await page.getByRole('button', { name: 'Add folder' }).click();
      await page.getByRole('button', { name: 'Share this folder' }).waitFor();
      await expectNoAxeViolations(page, { state: 'records page, an empty folder chosen' });
      await page.getByRole('button', { name: 'All records', exact: true }).click();
    });

    it('the share dialog: open, a doctor found with the fingerprint to compare, shared', async () => {
      await approveDoctor(doctor);
      doctorFingerprint = await textOf(doctorBrowser.page.getByTestId('fingerprint'), /^(\d{5} ){7}\d{5}$/);
      const { page } = patientBrowser;
      await page.getByRole('button', { name: `Share ${titleOf(labResult)}` }).click();
      const dialog = page.getByRole('dialog', { name: 'Share with a doctor' });
      await textOf(dialog.getByTestId('share-count'), 'This shares 1 record');
      await expectNoAxeViolations(page, { state: 'share dialog, open' });
      await chooseDoctor(dialog, doctor);
      await textOf(dialog.getByTestId('doctor-fingerprint'), doctorFingerprint, { exact: true });
      await dialog.getByRole('button', { name: 'I compared the numbers' }).waitFor();
      await expectNoAxeViolations(page, { state: 'share dialog, doctor chosen, numbers to compare' });
      await confirmDoctorKey(dialog, doctorFingerprint, { isFirstShare: true });
      await dialog.getByRole('button', { name: 'Share', exact: true }).click();
      await dialog.getByText(`with ${doctor.displayName}.`).waitFor();
      await expectNoAxeViolations(page, { state: 'share dialog, shared' });
      await dialog.getByRole('button', { name: 'Close' }).click();
    });

    it('the consents page, and a revocation being confirmed', async () => {
      const { page } = patientBrowser;
      await page.getByRole('link', { name: 'Consents' }).click();
      await page.getByRole('heading', { name: 'Who can see your records' }).waitFor();
      const consent = page.getByTestId('consent-row').filter({ hasText: doctor.displayName });
      await consent.waitFor();
      await expectNoAxeViolations(page, { state: 'consents page' });
      await consent.getByRole('button', { name: `Revoke ${doctor.displayName}` }).click();
      await consent.getByRole('button', { name: 'Yes, revoke' }).waitFor();
      await expectNoAxeViolations(page, { state: 'consents page, revocation to confirm' });
      await consent.getByRole('button', { name: 'Keep' }).click();
    });

    it('the audit trail, filtered', async () => {
      const { page } = patientBrowser;
      await page.getByRole('link', { name: 'Audit trail' }).click();
      await textOf(page.getByTestId('chain-status'), /^Chain verified in this browser/);
      await page.getByTestId('audit-row').first().waitFor();
      await expectNoAxeViolations(page, { state: 'patient audit trail' });
      await page.getByLabel('Outcome').selectOption('deny');
      await page.getByLabel('Outcome').selectOption('allow');
      await page.getByTestId('audit-row').first().waitFor();
      await expectNoAxeViolations(page, { state: 'patient audit trail, filtered' });
    });
  });

  describe('a doctor', () => {
    it('the account page, shared with me, the access history', async () => {
      const { page } = doctorBrowser;
      await page.getByTestId('fingerprint').waitFor();
      await expectNoAxeViolations(page, { state: 'doctor account page' });
      await openSharedWithMe(page);
      await page.getByRole('button', { name: `Open ${titleOf(labResult)}` }).waitFor();
      await expectNoAxeViolations(page, { state: 'shared with me, one patient' });
      await page.getByRole('link', { name: 'Access history' }).click();
      await textOf(page.getByTestId('chain-status'), /^Chain verified in this browser/);
      await expectNoAxeViolations(page, { state: 'doctor access history' });
    });
  });

  describe('an operator', () => {
    it('the clinicians page, each list', async () => {
      const { page } = operatorBrowser;
      for (const status of ['Waiting', 'Approved', 'Suspended', 'Refused'] as const) {
        await openClinicians(page, status);
        await expectNoAxeViolations(page, { state: `clinicians page, ${status}` });
      }
      await openClinicians(page, 'Approved');
      await listedClinician(page, doctor.displayName);
      await expectNoAxeViolations(page, { state: 'clinicians page, an approved doctor listed' });
    });
  });

  describe('an auditor', () => {
    it('the account page and the audit trail of every account', async () => {
      const { page } = visitor;
      const auditor = { email: `auditor-${tag}@example.org`, password: `quartz Meadow lantern ${tag} fjord` };
      const code = await staffInvitation('auditor', auditor.email, `Audit office ${tag}`);
      await page.goto(portalUrl(`/register?invitation=${encodeURIComponent(code)}`));
      await redeemInvitation(page, auditor);
      await expectNoAxeViolations(page, { state: 'auditor account page' });
      for (const section of ['security', 'keys'] as const) {
        await openAccountSection(page, section);
        await expectNoAxeViolations(page, { state: `auditor account ${section} page` });
      }
      await page.getByRole('link', { name: 'Audit trail' }).click();
      await textOf(page.getByTestId('chain-status'), /^Chain verified in this browser/);
      await page.getByTestId('audit-row').first().waitFor();
      await expectNoAxeViolations(page, { state: 'auditor audit trail' });
    }, REGISTRATIONS_TIMEOUT_MS);
  });
});
