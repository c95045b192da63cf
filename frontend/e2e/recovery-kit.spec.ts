import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import type { CDPSession, Page } from 'playwright-core';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { countOf, disabledState, textOf } from './support/eventually.js';
import { withDatabase } from './support/operator.js';
import { newPerson, openAccountSection, readRecoveryCode, register, signOut, type Person } from './support/portal.js';

async function securityKeysOf(person: Person): Promise<number> {
  const { rows } = await withDatabase((client) =>
    client.query<{ count: string }>('SELECT count(*) AS count FROM security_keys k JOIN users u ON u.id = k.user_id WHERE u.email = $1', [person.email]),
  );
  return Number(rows[0].count);
}

/** Types the last group back and continues, as on any recovery code page. */
async function confirmCode(page: Page, code: string): Promise<void> {
  await page.getByLabel('I have stored this code somewhere safe').check();
  await page.getByLabel('Type the last group of the code to confirm').fill(code.split('-').at(-1) ?? '');
  await page.getByRole('button', { name: 'Continue' }).click();
}

/** From the sign-in page: "Forgot your password?", the code, a new password; resolves with the new code shown. */
async function recover(page: Page, person: Person, code: string, newPassword: string): Promise<string> {
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await page.getByLabel('Email').fill(person.email);
  await page.getByLabel('Recovery code').fill(code);
  await page.getByLabel('New password', { exact: true }).fill(newPassword);
  await page.getByLabel('Confirm new password').fill(newPassword);
  await page.getByRole('button', { name: 'Set new password' }).click();
  const newCode = await readRecoveryCode(page);
  person.password = newPassword;
  return newCode;
}

describe('the recovery kit, and security keys after a recovery (Chromium)', () => {
  let browser: BrowserSession;
  let cdp: CDPSession;
  let patient: Person;
  let recoveryCode: string;
  /** Every request body the page sent, to show the code never left it. */
  const sentBodies: string[] = [];

  beforeAll(async () => {
    browser = await openBrowser();
    cdp = await browser.context.newCDPSession(browser.page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: false, hasUserVerification: true, isUserVerified: true },
    });
    browser.page.on('request', (request) => sentBodies.push(`${request.url()} ${request.postData() ?? ''}`));
    patient = newPerson('patient');
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('downloads a recovery kit made in the browser, with the email, the code and what to do; the code is never sent', async () => {
    const { page } = browser;
    recoveryCode = await register(page, patient);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download recovery kit' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^recovery-kit-patient-[a-z0-9]+-example\.org-\d{4}-\d{2}-\d{2}\.html$/);
    const kit = await readFile(await download.path(), 'utf8');
    expect(kit).toContain(`<dd data-field="email">${patient.email}</dd>`);
    expect(kit).toContain(`<p class="code" data-field="recovery-code">${recoveryCode}</p>`);
    expect(kit).toContain('Forgot your password?');
    expect(kit).not.toMatch(/<script/i);
    await page.getByRole('button', { name: 'Print' }).waitFor();

    await confirmCode(page, recoveryCode);
    // A patient lands on Records.
    await page.getByRole('heading', { name: 'Your records' }).waitFor();
    const compact = recoveryCode.replace(/-/g, '');
    expect(sentBodies.filter((body) => body.includes(recoveryCode) || body.includes(compact))).toEqual([]);
  });

  it('after a recovery, asks whether to keep the security key; keeping it leaves it enrolled', async () => {
    const { page } = browser;
    await openAccountSection(page, 'security');
    await page.getByLabel('Name of the new key').fill('Blue key');
    await page.getByRole('button', { name: 'Add security key' }).click();
    await page.getByText('The security key “Blue key” was added.').waitFor();
    await signOut(page);

    recoveryCode = await recover(page, patient, recoveryCode, `${patient.password} recovered`);
    await page.getByRole('button', { name: 'Download recovery kit' }).waitFor();
    await confirmCode(page, recoveryCode);
    await page.getByRole('heading', { name: 'Your security keys' }).waitFor();
    await textOf(page.getByTestId('review-keys'), 'Blue key');
    // Nothing else opens before the question is answered.
    await countOf(page.getByRole('heading', { name: 'Your records' }), 0);
    await page.getByRole('button', { name: 'Keep it' }).click();
    await page.getByRole('heading', { name: 'Your records' }).waitFor();
    expect(await securityKeysOf(patient)).toBe(1);
  });

  it('removes it with the new password when the person says it is lost', async () => {
    const { page } = browser;
    await signOut(page);
    recoveryCode = await recover(page, patient, recoveryCode, `${patient.password} again`);
    await confirmCode(page, recoveryCode);
    await page.getByRole('button', { name: 'Remove it' }).click();
    const removeButton = page.getByRole('button', { name: 'Remove the key' });
    await disabledState(removeButton, true);
    await page.getByLabel('Your new password', { exact: true }).fill(`${patient.password} typo`);
    await removeButton.click();
    await textOf(page.getByRole('alert'), 'That password is not correct.');
    expect(await securityKeysOf(patient)).toBe(1);
    await page.getByLabel('Your new password', { exact: true }).fill(patient.password);
    await removeButton.click();
    await page.getByRole('heading', { name: 'Your records' }).waitFor();
    expect(await securityKeysOf(patient)).toBe(0);
  });

  it('asks nothing after a recovery when the account has no security key', async () => {
    const { page } = browser;
    await signOut(page);
    recoveryCode = await recover(page, patient, recoveryCode, `${patient.password} once more`);
    await confirmCode(page, recoveryCode);
    await page.getByRole('heading', { name: 'Your records' }).waitFor();
    await countOf(page.getByRole('heading', { name: 'Your security keys' }), 0);
  });
});
