import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ACCOUNT_ERASURE_CONFIRMATION, RECORD_CHUNK_BYTES } from '@phr/shared-types';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { approveDoctor } from './support/clinicians.js';
import { objectKeys, withDatabase } from './support/operator.js';
import { confirmRecoveryCode, fillSignIn, newPerson, openAccountSection, register, type Person, unlock } from './support/portal.js';
import { markedFile, openRecordsPage, uploadFiles } from './support/records.js';
import { openSharedWithMe, shareRecordWith } from './support/sharing.js';
import { disabledState, textOf } from './support/eventually.js';

/** Tables that hold an account's data, and the columns that name it. The audit trail is not among them. */
const ACCOUNT_COLUMNS = [
  ['users', 'id'],
  ['credentials', 'user_id'],
  ['public_keys', 'user_id'],
  ['refresh_tokens', 'user_id'],
  ['folders', 'owner_id'],
  ['uploads', 'owner_id'],
  ['records', 'owner_id'],
  ['record_wraps', 'owner_id'],
  ['consents', 'patient_id'],
] as const;

describe('erasing one’s account in the portal (Chromium)', () => {
  let patientBrowser: BrowserSession;
  let doctorBrowser: BrowserSession;
  let patient: Person;
  let doctor: Person;
  let patientId: string;
  let recordIds: string[];
  const tag = randomBytes(4).toString('hex');
  const scan = markedFile(`knee-mri-${tag}.dat`, RECORD_CHUNK_BYTES + 11, `ERASE-MARKER-${tag}`);

  beforeAll(async () => {
    [patientBrowser, doctorBrowser] = await Promise.all([openBrowser(), openBrowser()]);
    patient = newPerson('patient');
    doctor = newPerson('doctor');
    await confirmRecoveryCode(doctorBrowser.page, await register(doctorBrowser.page, doctor));
    await approveDoctor(doctor);
    const doctorFingerprint = await textOf(doctorBrowser.page.getByTestId('fingerprint'), /^(\d{5} ){7}\d{5}$/);
    await confirmRecoveryCode(patientBrowser.page, await register(patientBrowser.page, patient));

    const page = patientBrowser.page;
    await openRecordsPage(page);
    await uploadFiles(page, [scan]);
    await shareRecordWith(page, scan, doctor, doctorFingerprint);

    patientId = await withDatabase(async (db) => (await db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [patient.email])).rows[0].id);
    recordIds = await withDatabase(async (db) => (await db.query<{ id: string }>('SELECT id FROM records WHERE owner_id = $1', [patientId])).rows.map((row) => row.id));
  });
  afterAll(async () => {
    await Promise.all([patientBrowser?.close(), doctorBrowser?.close()]);
  });

  const storedObjectsOfRecords = async () => (await Promise.all(recordIds.map((recordId) => objectKeys(`records/${recordId}/`)))).flat();
  const rowsNamingPatient = () =>
    withDatabase(async (db) => {
      const found: string[] = [];
      for (const [table, column] of ACCOUNT_COLUMNS) {
        const { rowCount } = await db.query(`SELECT 1 FROM ${table} WHERE ${column} = $1`, [patientId]);
        if (rowCount) found.push(table);
      }
      return found;
    });

  it('starts from a shared record the doctor can see, with its objects and rows in place', async () => {
    expect(recordIds).toHaveLength(1);
    expect(await storedObjectsOfRecords()).toEqual([`records/${recordIds[0]}/0`]);
    expect(await rowsNamingPatient()).toEqual(['users', 'credentials', 'public_keys', 'refresh_tokens', 'records', 'record_wraps', 'consents']);
    await openSharedWithMe(doctorBrowser.page);
    await doctorBrowser.page.getByRole('heading', { name: patient.displayName, exact: true }).waitFor();
  });

  it('explains what goes and what stays, and refuses a wrong password without deleting anything', async () => {
    const page = patientBrowser.page;
    await openAccountSection(page, 'data');
    const section = page.getByRole('region', { name: 'Delete account' });
    await textOf(section, 'The audit trail of your account stays');
    const submit = section.getByRole('button', { name: 'Delete my account' });
    await section.getByLabel('Password', { exact: true }).fill('not my password at all');
    await disabledState(submit, true);
    await section.getByLabel(`Type “${ACCOUNT_ERASURE_CONFIRMATION}” to confirm`).fill(ACCOUNT_ERASURE_CONFIRMATION);
    await submit.click();
    await textOf(section.getByRole('alert'), 'The password is not correct. Nothing was deleted.');
    expect(await rowsNamingPatient()).toContain('records');
    expect(await storedObjectsOfRecords()).toHaveLength(1);
  });

  it('erases the account with the password and the typed words, and signs out to the sign-in page', async () => {
    const page = patientBrowser.page;
    const section = page.getByRole('region', { name: 'Delete account' });
    await section.getByLabel('Password', { exact: true }).fill(patient.password);
    await section.getByLabel('Reason (optional)').fill('switching providers');
    await section.getByRole('button', { name: 'Delete my account' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 30_000 });
    await textOf(page.getByRole('status').filter({ hasText: 'Your account was erased' }), 'Your account was erased: 1 record(s)');
  });

  it('leaves no object in the store and no row of the account in the database, but keeps its audit trail', async () => {
    expect(await storedObjectsOfRecords()).toEqual([]);
    expect(await rowsNamingPatient()).toEqual([]);
    const trail = await withDatabase(
      async (db) => (await db.query<{ action: string; reason: string | null }>('SELECT action, reason FROM audit_events WHERE subject_id = $1 ORDER BY seq', [patientId])).rows,
    );
    expect(trail.map((row) => row.action)).toEqual(expect.arrayContaining(['account.register', 'record.create', 'consent.grant']));
    expect(trail.at(-1)).toEqual({ action: 'account.erase', reason: expect.stringMatching(/^erased 1 record\(s\).*; reason: switching providers$/) });
  });

  it('takes the record away from the doctor', async () => {
    const page = doctorBrowser.page;
    // A new page load, unlocked, reads everything from the server again.
    await page.reload();
    await unlock(page, doctor.email, doctor.password);
    await openSharedWithMe(page);
    await page.getByText('No patient shares records with you at the moment.').waitFor();
  });

  it('refuses to sign in with the erased account', async () => {
    const page = patientBrowser.page;
    await fillSignIn(page, patient.email, patient.password);
    await textOf(page.getByRole('alert'), 'Email or password is incorrect');
  });

  it('lets the same email register again, as a new account', async () => {
    const page = patientBrowser.page;
    await confirmRecoveryCode(page, await register(page, patient));
    await page.getByText(patient.email, { exact: true }).waitFor();
    const ids = await withDatabase(async (db) => (await db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [patient.email])).rows.map((row) => row.id));
    expect(ids).toHaveLength(1);
    expect(ids[0]).not.toBe(patientId);
  });
});
