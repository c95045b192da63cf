/** Sharing steps in the portal: the patient's share dialog and the doctor's "Shared with me" page. */
import type { Locator, Page } from 'playwright-core';
import { openBrowser, type BrowserSession } from './browser.js';
import { approveDoctor } from './clinicians.js';
import { confirmRecoveryCode, newPerson, register, type Person } from './portal.js';
import { titleOf, type TestFile } from './records.js';
import { textOf } from './eventually.js';

export interface PatientAndDoctor {
  patientBrowser: BrowserSession;
  doctorBrowser: BrowserSession;
  patient: Person;
  doctor: Person;
  /** The doctor's numbers as the doctor's own account page shows them, for the patient to compare. */
  doctorFingerprint: string;
}

/** A patient and a doctor an operator approved, each registered in a browser of their own. */
export async function patientAndApprovedDoctor(): Promise<PatientAndDoctor> {
  const [patientBrowser, doctorBrowser] = await Promise.all([openBrowser(), openBrowser()]);
  const patient = newPerson('patient');
  const doctor = newPerson('doctor');
  await confirmRecoveryCode(doctorBrowser.page, await register(doctorBrowser.page, doctor));
  await approveDoctor(doctor);
  const doctorFingerprint = await textOf(doctorBrowser.page.getByTestId('fingerprint'), /^(\d{5} ){7}\d{5}$/);
  await confirmRecoveryCode(patientBrowser.page, await register(patientBrowser.page, patient));
  return { patientBrowser, doctorBrowser, patient, doctor, doctorFingerprint };
}

/**
 * The doctor's key in the share dialog, as a patient checks it: the numbers
 * read as the doctor's own page shows them (when the test has them), and
 * before the first share with that doctor the patient's "I compared the
 * numbers"; then the contact stands as verified.
 */
export async function confirmDoctorKey(dialog: Locator, doctorFingerprint: string | null, options: { isFirstShare: boolean }): Promise<void> {
  if (doctorFingerprint) await textOf(dialog.getByTestId('doctor-fingerprint'), doctorFingerprint, { exact: true });
  if (options.isFirstShare) await dialog.getByRole('button', { name: 'I compared the numbers' }).click();
  await textOf(dialog.getByTestId('contact-status'), /^Verified on \d/);
}

/** Finds and picks a doctor in the open share dialog. */
export async function chooseDoctor(dialog: Locator, doctor: Person): Promise<void> {
  await dialog.getByLabel('Find a doctor (name or email)').fill(doctor.displayName.slice(4));
  await dialog.getByRole('radio', { name: doctor.displayName }).check();
}

/** Shares one record from the records page, checking the doctor's fingerprint as a patient would (the first share with this doctor). */
export async function shareRecordWith(page: Page, file: TestFile, doctor: Person, doctorFingerprint: string): Promise<void> {
  await page.getByRole('button', { name: `Share ${titleOf(file)}` }).click();
  const dialog = page.getByRole('dialog', { name: 'Share with a doctor' });
  await chooseDoctor(dialog, doctor);
  await confirmDoctorKey(dialog, doctorFingerprint, { isFirstShare: true });
  await dialog.getByRole('button', { name: 'Share', exact: true }).click();
  await dialog.getByText(`with ${doctor.displayName}.`).waitFor();
  await dialog.getByRole('button', { name: 'Close' }).click();
}

export async function openSharedWithMe(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'Account' }).click();
  await page.getByRole('link', { name: 'Shared with me' }).click();
  await page.getByRole('heading', { name: 'Shared with me' }).waitFor();
}
