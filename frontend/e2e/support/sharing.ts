/** Sharing steps in the portal: the patient's share dialog and the doctor's "Shared with me" page. */
import type { Page } from 'playwright-core';
import type { Person } from './portal.js';
import { titleOf, type TestFile } from './records.js';
import { textOf } from './eventually.js';

/** Shares one record from the records page, checking the doctor's fingerprint as a patient would. */
export async function shareRecordWith(page: Page, file: TestFile, doctor: Person, doctorFingerprint: string): Promise<void> {
  await page.getByRole('button', { name: `Share ${titleOf(file)}` }).click();
  const dialog = page.getByRole('dialog', { name: 'Share with a doctor' });
  await dialog.getByLabel('Find a doctor (name or email)').fill(doctor.displayName.slice(4));
  await dialog.getByRole('radio', { name: doctor.displayName }).check();
  await textOf(dialog.getByTestId('doctor-fingerprint'), doctorFingerprint, { exact: true });
  await dialog.getByRole('button', { name: 'Share', exact: true }).click();
  await dialog.getByText(`with ${doctor.displayName}.`).waitFor();
  await dialog.getByRole('button', { name: 'Close' }).click();
}

export async function openSharedWithMe(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'Account' }).click();
  await page.getByRole('link', { name: 'Shared with me' }).click();
  await page.getByRole('heading', { name: 'Shared with me' }).waitFor();
}
