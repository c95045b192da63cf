/**
 * Who may be a doctor (issue 19; docs/protocol.md "Clinicians"), in Chromium: an operator, a
 * patient and doctors, each in a browser of their own. A doctor who registers waits unseen
 * until an operator approves them; a look-alike name is caught; a suspension cuts the doctor's
 * reads at once and reinstating restores them; the Clinicians page is for operators only.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ERROR_CODES, RECORD_CHUNK_BYTES, ROUTES, type ErrorResponse } from '@phr/shared-types';
import type { Locator, Page } from 'playwright-core';
import { linkIn } from '@phr/infra/local/mail/mailbox.js';
import { openBrowser, portalUrl, type BrowserSession } from './support/browser.js';
import { apiClient, clinicianByEmail, listedClinician, newOperator, openClinicians, redeemInvitation, registerOperator, type Operator } from './support/clinicians.js';
import { countOf, textOf, valueOf } from './support/eventually.js';
import { confirmRecoveryCode, newPerson, register, stackMailbox, type Person } from './support/portal.js';
import { downloadRecord, markedFile, openRecordsPage, sha256, titleOf, uploadFiles } from './support/records.js';
import { confirmDoctorKey, openSharedWithMe } from './support/sharing.js';

const REGISTRATIONS_TIMEOUT_MS = 240_000;

describe('who may be a doctor (Chromium: an operator, a patient, doctors)', () => {
  let operatorBrowser: BrowserSession;
  let patientBrowser: BrowserSession;
  let doctorBrowser: BrowserSession;
  let operator: Operator;
  let patient: Person;
  let doctor: Person;
  let doctorFingerprint: string;
  const tag = randomBytes(4).toString('hex');
  const labResult = markedFile(`thyroid-${tag}.dat`, RECORD_CHUNK_BYTES + 321, `CLINICIANS-MARKER-${tag}`);

  beforeAll(async () => {
    [operatorBrowser, patientBrowser, doctorBrowser] = await Promise.all([openBrowser(), openBrowser(), openBrowser()]);
    operator = newOperator();
    patient = newPerson('patient');
    await Promise.all([
      registerOperator(operatorBrowser.page, operator),
      register(patientBrowser.page, patient).then((code) => confirmRecoveryCode(patientBrowser.page, code)),
    ]);
    await openRecordsPage(patientBrowser.page);
    await uploadFiles(patientBrowser.page, [labResult]);
  }, REGISTRATIONS_TIMEOUT_MS);
  afterAll(async () => {
    await Promise.all([operatorBrowser?.close(), patientBrowser?.close(), doctorBrowser?.close()]);
  });

  /** The patient's share dialog for the lab result, searched for `name`; closed by the caller. */
  async function searchFromShareDialog(name: string): Promise<Locator> {
    const page = patientBrowser.page;
    await openRecordsPage(page);
    await page.getByRole('button', { name: `Share ${titleOf(labResult)}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Share with a doctor' });
    await dialog.getByLabel('Find a doctor (name or email)').fill(name);
    return dialog;
  }

  const doctorOption = (dialog: Locator, person: Pick<Person, 'organisation'>) => dialog.getByTestId('doctor-option').filter({ hasText: person.organisation });

  /** The bearer token a signed-in page sends with its next API call (triggered by `action`). */
  async function tokenOf(page: Page, action: () => Promise<void>): Promise<string> {
    const [request] = await Promise.all([page.waitForRequest((sent) => sent.url().includes('/api/') && Boolean(sent.headers().authorization)), action()]);
    return (request.headers().authorization ?? '').replace(/^Bearer /, '');
  }

  /** A link the page itself follows (no reload: the session and its keys stay), as a hand-typed route in the router. */
  async function followInPage(page: Page, pathname: string): Promise<void> {
    await page.evaluate((target) => {
      window.history.pushState({}, '', target);
      window.dispatchEvent(new PopStateEvent('popstate'));
    }, pathname);
  }

  it('a doctor who registers waits unseen until an operator approves them; then patients find them with their organisation and who verified them', async () => {
    doctor = newPerson('doctor');
    const doctorPage = doctorBrowser.page;
    await confirmRecoveryCode(doctorPage, await register(doctorPage, doctor));
    doctorFingerprint = await textOf(doctorPage.getByTestId('fingerprint'), /^(\d{5} ){7}\d{5}$/);
    await textOf(doctorPage.getByTestId('clinician-standing'), 'Your account is awaiting verification by an operator: patients cannot find you or share with you yet.');
    await textOf(doctorPage.getByTestId('clinician-verification'), 'Awaiting verification by an operator', { exact: true });

    // Not in the patient's search (the search answered: it says no doctor matches).
    let dialog = await searchFromShareDialog(doctor.displayName.slice(4));
    await dialog.getByText('No doctor matches.').waitFor();
    await countOf(dialog.getByRole('radio'), 0);
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    // The operator's queue: the request, with what the doctor gave; approved.
    const operatorPage = operatorBrowser.page;
    await openClinicians(operatorPage, 'Waiting');
    const entry = await listedClinician(operatorPage, doctor.displayName);
    await textOf(entry, `${doctor.email}`);
    await textOf(entry, `${doctor.licence}`);
    await textOf(entry, `${doctor.organisation}`);
    await textOf(entry, 'registered themselves');
    await countOf(entry.getByTestId('name-check'), 0);
    await entry.getByRole('button', { name: `Approve ${doctor.displayName}` }).click();
    await textOf(operatorPage.getByRole('status').filter({ hasText: 'Approved' }), `Approved ${doctor.displayName}.`, { exact: true });
    await openClinicians(operatorPage, 'Approved');
    await textOf((await listedClinician(operatorPage, doctor.displayName)).getByTestId('clinician-status'), `Approved · by ${operator.displayName}`);

    // The doctor's portal says so on the next page, without signing in again.
    await doctorPage.getByRole('link', { name: 'Shared with me' }).click();
    await doctorPage.getByRole('link', { name: 'Account' }).click();
    await textOf(doctorPage.getByTestId('clinician-verification'), `Verified by ${operator.displayName} on `);
    await countOf(doctorPage.getByTestId('clinician-standing'), 0);

    // The patient finds them now, vouched for, and shares after comparing the numbers.
    dialog = await searchFromShareDialog(doctor.displayName.slice(4));
    const option = doctorOption(dialog, doctor);
    await textOf(option.getByTestId('doctor-verification'), `${doctor.organisation} · Verified by ${operator.displayName} on `);
    await countOf(option.getByTestId('look-alike-warning'), 0);
    await option.getByRole('radio', { name: doctor.displayName }).check();
    await confirmDoctorKey(dialog, doctorFingerprint, { isFirstShare: true });
    await dialog.getByRole('button', { name: 'Share', exact: true }).click();
    await dialog.getByText(`with ${doctor.displayName}.`).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
  }, REGISTRATIONS_TIMEOUT_MS);

  it('a suspension cuts the doctor’s reads at once (the API refuses), the patient sees it on their consents, and reinstating restores access', async () => {
    const doctorPage = doctorBrowser.page;
    await openSharedWithMe(doctorPage);
    const before = await downloadRecord(doctorPage, labResult);
    expect(sha256(before.bytes)).toBe(sha256(labResult.buffer));

    const operatorPage = operatorBrowser.page;
    const reason = `Licence lapsed ${tag}`;
    await openClinicians(operatorPage, 'Approved');
    const entry = await listedClinician(operatorPage, doctor.displayName);
    await entry.getByRole('button', { name: `Suspend ${doctor.displayName}` }).click();
    await entry.getByLabel(`Why do you suspend ${doctor.displayName}? (shown to them)`).fill(reason);
    await entry.getByRole('button', { name: 'Confirm suspension' }).click();
    await textOf(operatorPage.getByRole('status').filter({ hasText: 'Suspended' }), `Suspended ${doctor.displayName}.`, { exact: true });

    // The doctor's page is as it was (no reload); opening the record again is refused by the API.
    const [refused] = await Promise.all([
      doctorPage.waitForResponse((response) => response.url().includes('/api/') && response.status() === 403),
      doctorPage.getByRole('button', { name: `Open ${titleOf(labResult)}` }).click(),
    ]);
    expect(((await refused.json()) as ErrorResponse).code).toBe(ERROR_CODES.clinicianNotVerified);
    await textOf(doctorPage.getByRole('alert').filter({ hasText: 'Your clinician account' }), 'Your clinician account is suspended by the operators: you cannot read shared records');
    await textOf(doctorPage.getByTestId('clinician-standing'), `An operator suspended your account: you cannot read shared records, and patients cannot share with you. Reason given: ${reason}`);

    const patientPage = patientBrowser.page;
    await patientPage.getByRole('link', { name: 'Consents' }).click();
    await patientPage.getByRole('heading', { name: 'Who can see your records' }).waitFor();
    const consent = patientPage.getByTestId('consent-row').filter({ hasText: doctor.displayName });
    await textOf(consent.getByTestId('doctor-standing'), 'Suspended by the operator: cannot read your records', { exact: true });

    await openClinicians(operatorPage, 'Suspended');
    const suspended = await listedClinician(operatorPage, doctor.displayName);
    await textOf(suspended.getByTestId('clinician-status'), `reason: ${reason}`);
    await suspended.getByRole('button', { name: `Reinstate ${doctor.displayName}` }).click();
    await textOf(operatorPage.getByRole('status').filter({ hasText: 'Reinstated' }), `Reinstated ${doctor.displayName}.`, { exact: true });

    await openSharedWithMe(doctorPage);
    await countOf(doctorPage.getByTestId('clinician-standing'), 0);
    const after = await downloadRecord(doctorPage, labResult);
    expect(sha256(after.bytes)).toBe(sha256(labResult.buffer));

    await patientPage.getByRole('link', { name: 'Records', exact: true }).click();
    await patientPage.getByRole('link', { name: 'Consents' }).click();
    await patientPage.getByTestId('consent-row').filter({ hasText: doctor.displayName }).getByRole('cell', { name: 'active', exact: true }).waitFor();
    await countOf(patientPage.getByTestId('doctor-standing'), 0);
  }, REGISTRATIONS_TIMEOUT_MS);

  it('a look-alike name (a Cyrillic “А”) is flagged to the operator and cannot be approved; an invited namesake is marked for patients', async () => {
    const lookAlike: Person = { ...newPerson('doctor'), displayName: doctor.displayName.replace('Avery', '\u0410very') };
    expect(lookAlike.displayName).not.toBe(doctor.displayName);
    const lookAlikeBrowser = await openBrowser();
    try {
      await confirmRecoveryCode(lookAlikeBrowser.page, await register(lookAlikeBrowser.page, lookAlike));

      const operatorPage = operatorBrowser.page;
      await openClinicians(operatorPage, 'Waiting');
      const entry = await listedClinician(operatorPage, lookAlike.displayName);
      await textOf(entry.getByTestId('name-check'), 'Mixed scripts: the name mixes letters of more than one alphabet');
      await textOf(entry.getByTestId('name-check'), `Looks like ${doctor.displayName} (${doctor.organisation}), a verified clinician.`);
      await entry.getByRole('button', { name: `Approve ${lookAlike.displayName}` }).click();
      await textOf(entry.getByRole('alert'), `Not approved: the name “${lookAlike.displayName}” looks the same as the name of another verified clinician: ${doctor.displayName} (${doctor.organisation}).`);
      expect((await clinicianByEmail(lookAlike.email, 'pending'))?.status).toBe('pending');

      // Refused, with a reason the clinician is shown.
      const reason = `Name confusable with ${doctor.displayName}`;
      await entry.getByRole('button', { name: `Refuse ${lookAlike.displayName}` }).click();
      await entry.getByLabel(`Why do you refuse ${lookAlike.displayName}? (shown to them)`).fill(reason);
      await entry.getByRole('button', { name: 'Confirm refusal' }).click();
      await textOf(operatorPage.getByRole('status').filter({ hasText: 'Refused' }), `Refused ${lookAlike.displayName}.`, { exact: true });
      await openClinicians(operatorPage, 'Refused');
      await listedClinician(operatorPage, lookAlike.displayName);
      await lookAlikeBrowser.page.getByRole('link', { name: 'Shared with me' }).click();
      await textOf(lookAlikeBrowser.page.getByTestId('clinician-standing'), `An operator refused to verify your account: patients cannot find you or share with you. Reason given: ${reason}`);
    } finally {
      await lookAlikeBrowser.close();
    }

    // A namesake the operator vouches for (the same name, another organisation): invited, by mail, approved from the start.
    const namesake: Person = { ...newPerson('doctor'), displayName: doctor.displayName };
    const operatorPage = operatorBrowser.page;
    await openClinicians(operatorPage, 'Waiting');
    await operatorPage.getByLabel('Clinician’s email').fill(namesake.email);
    await operatorPage.getByLabel('Clinician’s full name').fill(namesake.displayName);
    await operatorPage.getByLabel('Their licence or registration number').fill(namesake.licence ?? '');
    await operatorPage.getByLabel('Their organisation').fill(namesake.organisation ?? '');
    await operatorPage.getByRole('button', { name: 'Send invitation' }).click();
    await textOf(operatorPage.getByRole('status').filter({ hasText: 'Invitation sent' }), `Invitation sent to ${namesake.email}.`);

    const link = linkIn(await stackMailbox().next(namesake.email));
    if (!link) throw new Error(`The invitation mail to ${namesake.email} has no link`);
    expect(new URL(link).pathname).toBe('/register');
    expect(new URLSearchParams(new URL(link).hash.slice(1)).get('invitation')).toBeTruthy();
    const namesakeBrowser = await openBrowser();
    try {
      await namesakeBrowser.page.goto(link);
      await namesakeBrowser.page.getByRole('heading', { name: 'Accept your invitation' }).waitFor();
      // The code is read into memory and dropped from the address bar; the email is filled in from the link.
      expect(new URL(namesakeBrowser.page.url()).hash).toBe('');
      await valueOf(namesakeBrowser.page.getByLabel('Email'), namesake.email);
      await redeemInvitation(namesakeBrowser.page, namesake);
      await textOf(namesakeBrowser.page.getByTestId('clinician-verification'), `Verified by ${operator.displayName} on `);
      await countOf(namesakeBrowser.page.getByTestId('clinician-standing'), 0);
    } finally {
      await namesakeBrowser.close();
    }

    // Two verified clinicians whose names look the same: each is marked, told apart by organisation.
    const dialog = await searchFromShareDialog(doctor.displayName.slice(4));
    for (const person of [doctor, namesake]) {
      await textOf(
        doctorOption(dialog, person).getByTestId('look-alike-warning'),
        'Another verified clinician has a name that looks the same as ',
      );
      await textOf(doctorOption(dialog, person).getByTestId('look-alike-warning'), 'check the organisation');
    }
    await countOf(dialog.getByRole('radio'), 2);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  }, REGISTRATIONS_TIMEOUT_MS);

  it('patients and doctors cannot reach the Clinicians page, and the API refuses them', async () => {
    for (const page of [patientBrowser.page, doctorBrowser.page]) {
      await page.getByRole('link', { name: 'Audit trail' }).or(page.getByRole('link', { name: 'Access history' })).click();
      await countOf(page.getByRole('link', { name: 'Clinicians' }), 0);
      await followInPage(page, '/clinicians');
      await page.getByRole('heading', { name: 'Your account' }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/account');
      await countOf(page.getByRole('heading', { name: 'Clinicians' }), 0);

      const token = await tokenOf(page, () => page.getByRole('link', { name: 'Audit trail' }).or(page.getByRole('link', { name: 'Access history' })).click());
      const listed = await apiClient().send(ROUTES.listClinicians, { token });
      expect(listed.status).toBe(403);
      const approved = await clinicianByEmail(doctor.email, 'approved');
      if (!approved) throw new Error(`${doctor.email} is not listed as approved`);
      const suspended = await apiClient().send(ROUTES.suspendClinician, { params: { id: approved.id }, token, body: { reason: 'not an operator' } });
      expect(suspended.status).toBe(403);
    }
    // And operators see no records or sharing pages.
    const operatorPage = operatorBrowser.page;
    await openClinicians(operatorPage, 'Approved');
    await countOf(operatorPage.getByRole('link', { name: /^(Records|Consents|Shared with me)$/ }), 0);
    await followInPage(operatorPage, '/records');
    await operatorPage.getByRole('heading', { name: 'Your account' }).waitFor();
    await followInPage(operatorPage, '/');
    await operatorPage.getByRole('heading', { name: 'Clinicians', exact: true }).waitFor();
    expect(new URL(operatorPage.url()).pathname).toBe('/clinicians');
  });

  it('an operator signs in and lands on the Clinicians page', async () => {
    const fresh = await openBrowser();
    try {
      await fresh.page.goto(portalUrl('/login'));
      await fresh.page.getByLabel('Email').fill(operator.email);
      await fresh.page.getByLabel('Password').fill(operator.password);
      await fresh.page.getByRole('button', { name: 'Sign in' }).click();
      await fresh.page.getByRole('heading', { name: 'Clinicians', exact: true }).waitFor();
      await fresh.page.getByText(`${operator.displayName} (operator)`, { exact: true }).waitFor();
    } finally {
      await fresh.close();
    }
  });
});
