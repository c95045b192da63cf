import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { openBrowser, portalUrl, type BrowserSession } from './support/browser.js';
import { confirmRecoveryCode, fillSignIn, newPerson, readRecoveryCode, register, signIn, signOut, type Person } from './support/portal.js';

describe('accounts in the portal (Chromium)', () => {
  let browser: BrowserSession;
  let patient: Person;
  let recoveryCode: string;

  beforeAll(async () => {
    browser = await openBrowser();
    patient = newPerson('patient');
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('registers a patient and shows the recovery code, which must be confirmed before going on', async () => {
    const { page } = browser;
    recoveryCode = await register(page, patient);
    await confirmRecoveryCode(page, recoveryCode);
    await expect(page.getByText(patient.email).isVisible()).resolves.toBe(true);
    await expect(page.getByTestId('fingerprint').textContent()).resolves.toMatch(/^(\d{5} ){7}\d{5}$/);
  });

  it('keeps nothing secret in web storage or script-readable cookies', async () => {
    const { page } = browser;
    const stored = await page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length, cookies: document.cookie }));
    expect(stored).toEqual({ local: 0, session: 0, cookies: '' });
  });

  it('shows the same fingerprint the server stored for the account', async () => {
    const client = new pg.Client({ connectionString: process.env.E2E_DATABASE_URL });
    await client.connect();
    const { rows } = await client.query<{ fingerprint: string }>(
      'SELECT k.fingerprint FROM public_keys k JOIN users u ON u.id = k.user_id WHERE u.email = $1',
      [patient.email],
    );
    await client.end();
    const shown = (await browser.page.getByTestId('fingerprint').textContent()) ?? '';
    const expected = Array.from({ length: 8 }, (_, i) => String(Number.parseInt(rows[0].fingerprint.slice(i * 8, i * 8 + 8), 16) % 100_000).padStart(5, '0')).join(' ');
    expect(shown).toBe(expected);
  });

  it('signs out, refuses a wrong password with a clear message, and signs in with the right one', async () => {
    const { page } = browser;
    await signOut(page);
    await fillSignIn(page, patient.email, `${patient.password} typo`);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Email or password is incorrect');
    await page.getByLabel('Password').fill(patient.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
  });

  it('drops the keys on reload: the portal asks to sign in again', async () => {
    const { page } = browser;
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  });

  it('changes the password; then only the new one signs in', async () => {
    const { page } = browser;
    await signIn(page, patient.email, patient.password);
    const newPassword = `${patient.password} renewed`;
    await page.getByLabel('Current password').fill(patient.password);
    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByLabel('Confirm new password').fill(newPassword);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Your password was changed.').waitFor();
    await signOut(page);

    await fillSignIn(page, patient.email, patient.password);
    await page.getByRole('alert').waitFor();
    await signIn(page, patient.email, newPassword);
    patient.password = newPassword;
  });

  it('recovers with the recovery code: a new password, a new code, and the old code stops working', async () => {
    const { page } = browser;
    await signOut(page);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    const recovered = `${patient.password} recovered`;
    await page.getByLabel('Email').fill(patient.email);
    await page.getByLabel('Recovery code').fill(recoveryCode.toLowerCase().replace(/-/g, ' '));
    await page.getByLabel('New password', { exact: true }).fill(recovered);
    await page.getByLabel('Confirm new password').fill(recovered);
    await page.getByRole('button', { name: 'Set new password' }).click();
    const newCode = await readRecoveryCode(page);
    expect(newCode).not.toBe(recoveryCode);
    await confirmRecoveryCode(page, newCode);

    await signOut(page);
    await signIn(page, patient.email, recovered);
    await signOut(page);

    await page.goto(portalUrl('/recover'));
    await page.getByLabel('Email').fill(patient.email);
    await page.getByLabel('Recovery code').fill(recoveryCode);
    await page.getByLabel('New password', { exact: true }).fill(`${recovered} again`);
    await page.getByLabel('Confirm new password').fill(`${recovered} again`);
    await page.getByRole('button', { name: 'Set new password' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('recovery code is incorrect');
  });

  it('registers a doctor too', async () => {
    const doctorBrowser = await openBrowser();
    try {
      const doctor = newPerson('doctor');
      const code = await register(doctorBrowser.page, doctor);
      await confirmRecoveryCode(doctorBrowser.page, code);
      await expect(doctorBrowser.page.getByText('(doctor)').isVisible()).resolves.toBe(true);
    } finally {
      await doctorBrowser.close();
    }
  });
});
