import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ROUTES } from '@phr/shared-types';
import type { CDPSession } from 'playwright-core';
import { attack } from './support/attacker.js';
import { openBrowser, portalUrl, type BrowserSession } from './support/browser.js';
import { withDatabase } from './support/operator.js';
import { confirmRecoveryCode, fillSignIn, newPerson, openAccountSection, register, signOut, type Person } from './support/portal.js';

/** The person's security keys and open sessions, as the database says. */
async function accountState(person: Person): Promise<{ keys: number; openSessions: number }> {
  const { rows } = await withDatabase((client) =>
    client.query<{ keys: string; sessions: string }>(
      `SELECT (SELECT count(*) FROM security_keys k WHERE k.user_id = u.id) AS keys,
              (SELECT count(*) FROM refresh_tokens t WHERE t.user_id = u.id AND t.revoked_at IS NULL) AS sessions
         FROM users u WHERE u.email = $1`,
      [person.email],
    ),
  );
  return { keys: Number(rows[0].keys), openSessions: Number(rows[0].sessions) };
}

describe('security keys in the portal: Chromium’s virtual authenticator (ASVS 2.3.2)', () => {
  let browser: BrowserSession;
  let cdp: CDPSession;
  let authenticatorId: string;
  let patient: Person;

  beforeAll(async () => {
    browser = await openBrowser();
    cdp = await browser.context.newCDPSession(browser.page);
    await cdp.send('WebAuthn.enable');
    ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: false, hasUserVerification: true, isUserVerified: true },
    }));
    patient = newPerson('patient');
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('enrols a security key on the account page', async () => {
    const { page } = browser;
    await confirmRecoveryCode(page, await register(page, patient));
    await openAccountSection(page, 'security');
    await page.getByLabel('Name of the new key').fill('Blue key');
    await page.getByRole('button', { name: 'Add security key' }).click();
    await page.getByText('The security key “Blue key” was added.').waitFor();
    await page.getByTestId('security-keys').getByText('Blue key').waitFor();
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    await expect(accountState(patient)).resolves.toMatchObject({ keys: 1 });
  });

  it('asks for the key after the password, and signs in once the key answers', async () => {
    const { page } = browser;
    await signOut(page);
    await fillSignIn(page, patient.email, patient.password);
    await page.getByRole('heading', { name: 'Your records' }).waitFor();
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials[0].signCount).toBeGreaterThan(0);
    const [row] = await withDatabase((client) =>
      client.query<{ last_used_at: Date | null }>('SELECT k.last_used_at FROM security_keys k JOIN users u ON u.id = k.user_id WHERE u.email = $1', [patient.email]),
    ).then((result) => result.rows);
    expect(row.last_used_at).not.toBeNull();
  });

  it('signs in with the password and the key while someone keeps failing with the email (no lockout: ASVS 5.0 6.1.1)', async () => {
    const { page } = browser;
    await signOut(page);
    const statuses = await attack(patient.email, 12);
    expect(new Set(statuses.slice(5))).toEqual(new Set([429]));
    // This browser signed in before: it owes no proof of work, and the key still finishes the sign-in.
    const proofSent = page
      .waitForRequest((request) => request.url().endsWith(ROUTES.login.path) && request.method() === 'POST')
      .then((request) => (request.postDataJSON() as { proofOfWork?: unknown }).proofOfWork);
    await fillSignIn(page, patient.email, patient.password);
    await page.getByRole('heading', { name: 'Your records' }).waitFor();
    await expect(proofSent).resolves.toBeUndefined();
  });

  it('does not sign in with the password alone when the key is gone', async () => {
    const { page } = browser;
    await signOut(page);
    const before = await accountState(patient);
    await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
    await page.goto(portalUrl('/login'));
    await fillSignIn(page, patient.email, patient.password);
    await page.getByText('Use your security key to finish signing in').waitFor();
    // Nobody answers and the person gives up. (However long they waited, the server holds no
    // session until the key's answer arrives: the database is checked below.)
    await page.getByRole('heading', { name: 'Your records' }).waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByText('Your security key did not answer, so you are not signed in.').waitFor();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await expect(accountState(patient)).resolves.toEqual(before);
  });
});
