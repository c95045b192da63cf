/**
 * Issue 12, key rotation (docs/protocol.md "Key-pair rotation"): a doctor
 * replaces their key pair in the portal; the records shared for the old key
 * wait; on the patient's next visit the browser proves the doctor's new key,
 * warns that it changed since the patient compared it, and re-shares only
 * after the patient compared the new numbers; the doctor then opens the
 * record. A server that serves another "new" key for the doctor is caught and
 * nothing is wrapped for it.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { RECORD_CHUNK_BYTES } from '@phr/shared-types';
import type { Locator, Page } from 'playwright-core';
import { expectNoAxeViolations } from './support/axe.js';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { approveDoctor } from './support/clinicians.js';
import { countOf, textOf } from './support/eventually.js';
import { attackerKey, swapKey } from './support/lies.js';
import { LyingServer } from './support/lying-server.js';
import { withDatabase } from './support/operator.js';
import { confirmRecoveryCode, newPerson, register, replaceKeyPair, signIn, type Person } from './support/portal.js';
import { downloadRecord, markedFile, openRecordsPage, sha256, titleOf, uploadFiles, type TestFile } from './support/records.js';
import { openSharedWithMe, shareRecordWith } from './support/sharing.js';

/** Each test registers and signs in several times in fresh browsers: minutes on a busy machine, not seconds. */
const STEPS_TIMEOUT_MS = 240_000;

interface Account {
  person: Person;
  id: string;
  page: Page;
}

describe('key-pair rotation in the portal (issue 12)', () => {
  let liar: LyingServer;
  const browsers: BrowserSession[] = [];
  const tag = randomBytes(4).toString('hex');
  let fileCount = 0;
  const newFile = (): TestFile => markedFile(`rotated-${tag}-${++fileCount}.dat`, RECORD_CHUNK_BYTES + 11, `ROTATION-${tag}`);

  beforeAll(async () => {
    liar = await LyingServer.start();
  });
  afterEach(async () => {
    liar.beHonest();
    await Promise.all(browsers.splice(0).map((browser) => browser.close()));
  });
  afterAll(async () => {
    await liar?.close();
  });

  /** A page in a fresh Chromium whose every request goes through the (honest until told) lying server. */
  async function newPage(): Promise<Page> {
    const browser = await openBrowser({ proxyUrl: liar.proxyUrl });
    browsers.push(browser);
    return browser.page;
  }

  const idOf = (email: string) => withDatabase(async (db) => (await db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [email])).rows[0].id);
  const checksDone = (page: Page) => textOf(page.getByTestId('trust-status'), 'This browser checked your key, the key directory and your audit trail.');
  const ownFingerprint = (page: Page) => textOf(page.getByTestId('fingerprint'), /^(\d{5} ){7}\d{5}$/);

  async function newAccount(role: Person['role']): Promise<Account> {
    const person = newPerson(role);
    const page = await newPage();
    await confirmRecoveryCode(page, await register(page, person));
    await checksDone(page);
    if (role === 'doctor') await approveDoctor(person);
    return { person, id: await idOf(person.email), page };
  }

  async function signInAgain(account: Account): Promise<Page> {
    const page = await newPage();
    await signIn(page, account.person.email, account.person.password);
    await checksDone(page);
    return page;
  }

  /** The doctor's wraps as the database holds them: the key each was made for. */
  const doctorWraps = (doctorId: string) =>
    withDatabase(async (db) => (await db.query<{ key_fingerprint: string }>('SELECT key_fingerprint FROM record_wraps WHERE recipient_id = $1', [doctorId])).rows.map((row) => row.key_fingerprint));
  const rewrapRows = (patientId: string) =>
    withDatabase(async (db) => (await db.query<{ outcome: string }>(`SELECT outcome FROM audit_events WHERE subject_id = $1 AND action = 'consent.rewrap'`, [patientId])).rows.length);

  /** A patient shares one record with a doctor (numbers compared), then the doctor makes a new key pair on the account's keys page. */
  async function sharedThenRotated() {
    const doctor = await newAccount('doctor');
    const oldFingerprint = await ownFingerprint(doctor.page);
    const patient = await newAccount('patient');
    const file = newFile();
    await openRecordsPage(patient.page);
    await uploadFiles(patient.page, [file]);
    await shareRecordWith(patient.page, file, doctor.person, oldFingerprint);

    const newFingerprint = await replaceKeyPair(doctor.page, doctor.person.password);
    expect(newFingerprint).not.toBe(oldFingerprint);
    // The profile shows the new key's fingerprint, computed from the key the vault now holds.
    await doctor.page.getByRole('navigation', { name: 'Account sections' }).getByRole('link', { name: 'Profile', exact: true }).click();
    await textOf(doctor.page.getByTestId('fingerprint'), newFingerprint, { exact: true });
    // Self-monitoring accepted the account's own new binding: no alert.
    await countOf(doctor.page.getByTestId('trust-alert'), 0);
    return { doctor, patient, file, oldFingerprint, newFingerprint };
  }

  /** The patient's next visit: the notice of the doctor's new key, and its check. */
  async function checkNewKey(page: Page, doctor: Account): Promise<Locator> {
    const notice = page.getByTestId('key-change').filter({ hasText: `${doctor.person.displayName} has a new key` });
    await notice.getByRole('button', { name: `Check the new key of ${doctor.person.displayName}` }).click();
    return notice;
  }

  it('the doctor rotates; the patient sees the key changed, compares, re-shares; the doctor opens the record with the new key', async () => {
    const { doctor, patient, file, newFingerprint } = await sharedThenRotated();

    // The doctor's portal says why the record is gone until the patient re-shares.
    await openSharedWithMe(doctor.page);
    await textOf(doctor.page.getByTestId('stale-wraps'), /^1 record was shared with your previous key/);
    await countOf(doctor.page.getByRole('button', { name: `Open ${titleOf(file)}` }), 0);
    await expectNoAxeViolations(doctor.page, { state: 'shared with me, wraps for the previous key' });

    const patientPage = await signInAgain(patient);
    // The patient's consents while the doctor's wraps are for the old key: the key-changes notice above the page.
    await patientPage.getByRole('link', { name: 'Consents', exact: true }).click();
    await patientPage.getByTestId('consent-row').filter({ hasText: doctor.person.displayName }).waitFor();
    await patientPage.getByTestId('key-change').filter({ hasText: `${doctor.person.displayName} has a new key` }).waitFor();
    await expectNoAxeViolations(patientPage, { state: 'consents with stale wraps, key-changes notice' });
    const notice = await checkNewKey(patientPage, doctor);
    // The sealed contact holds the old numbers: the blocking warning, the new numbers to compare, no re-share yet.
    await notice.getByTestId('key-changed').waitFor();
    await textOf(notice.getByTestId('doctor-fingerprint'), newFingerprint, { exact: true });
    await expectNoAxeViolations(patientPage, { state: 'key-changes notice, new numbers to compare' });
    await countOf(notice.getByRole('button', { name: /^Share the 1 record again/ }), 0);
    await notice.getByRole('button', { name: 'I compared the numbers' }).click();
    await textOf(notice.getByTestId('contact-status'), /^Verified on \d/);
    await notice.getByRole('button', { name: `Share the 1 record again with ${doctor.person.displayName}` }).click();
    await countOf(patientPage.getByTestId('key-changes'), 0);
    expect(await rewrapRows(patient.id)).toBe(1);

    // The doctor signs in afresh (the own-key round trip and self-monitoring hold for the new key) and opens the record.
    const doctorPage = await signInAgain(doctor);
    await countOf(doctorPage.getByTestId('trust-alert'), 0);
    await openSharedWithMe(doctorPage);
    const downloaded = await downloadRecord(doctorPage, file);
    expect(sha256(downloaded.bytes)).toBe(sha256(file.buffer));
    await countOf(doctorPage.getByTestId('stale-wraps'), 0);
    await countOf(patientPage.getByTestId('trust-alert'), 0);
  }, STEPS_TIMEOUT_MS);

  it('a server that serves another “new” key for the doctor in the key directory is caught: a warning, and nothing is wrapped', async () => {
    const { doctor, patient } = await sharedThenRotated();
    const stale = await doctorWraps(doctor.id);
    liar.tell(...swapKey(doctor.id, attackerKey(), ['key directory']));

    const patientPage = await signInAgain(patient);
    const notice = await checkNewKey(patientPage, doctor);
    await notice.getByTestId('key-warning').waitFor();
    await patientPage.locator('[data-testid="trust-alert"][data-kind="key-binding-invalid"]').waitFor();
    await countOf(notice.getByRole('button', { name: 'I compared the numbers' }), 0);
    await countOf(notice.getByRole('button', { name: /^Share the 1 record again/ }), 0);
    await expectNoAxeViolations(patientPage, { state: 'key-changes notice, the new key failed verification' });
    expect(await doctorWraps(doctor.id)).toEqual(stale);
    expect(await rewrapRows(patient.id)).toBe(0);
  }, STEPS_TIMEOUT_MS);
});
