import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { withDatabase } from './support/operator.js';
import { confirmRecoveryCode, newPerson, type Person, register, unlock } from './support/portal.js';
import { countOf, textOf, valueOf } from './support/eventually.js';

describe('your details in the portal: correcting one’s name (Chromium, GDPR Art. 16)', () => {
  let browser: BrowserSession;
  let patient: Person;

  beforeAll(async () => {
    browser = await openBrowser();
    patient = newPerson('patient');
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('saves a corrected name, shows it at once, and still shows it after a reload and a new sign-in', async () => {
    const { page } = browser;
    await confirmRecoveryCode(page, await register(page, patient));
    const details = page.locator('section', { has: page.getByRole('heading', { name: 'Your details', exact: true }) });
    const facts = page.locator('section', { has: page.getByRole('heading', { name: 'Your account', exact: true }) }).locator('dl.facts');
    await valueOf(details.getByLabel('Name', { exact: true }), patient.displayName);
    // The email is the sign-in identifier: the form says so and offers no field for it.
    await textOf(details, 'is how you sign in and cannot be changed here');
    await countOf(details.getByLabel('Email'), 0);

    const corrected = `Avery Corrected ${Date.now().toString(36)}`;
    await details.getByLabel('Name', { exact: true }).fill(`  ${corrected} `);
    const saved = page.waitForResponse((response) => response.url().endsWith('/api/me') && response.request().method() === 'PATCH');
    await details.getByRole('button', { name: 'Save details' }).click();
    expect((await saved).status()).toBe(200);
    await details.getByText('Your details were saved.').waitFor();
    await textOf(facts, corrected);

    // A reload drops the keys (DESIGN 4.4), not the session: unlocked again, the page reads the API's name, the corrected one.
    await page.reload();
    await unlock(page, patient.email, patient.password);
    await textOf(facts, corrected);
    await expect(facts.textContent()).resolves.not.toContain(patient.displayName);
    await valueOf(details.getByLabel('Name', { exact: true }), corrected);

    const { rows } = await withDatabase((client) =>
      client.query<{ display_name: string; action: string | null }>(
        `SELECT u.display_name, a.action FROM users u LEFT JOIN audit_events a ON a.subject_id = u.id AND a.action = 'account.update' WHERE u.email = $1`,
        [patient.email],
      ),
    );
    expect(rows).toEqual([{ display_name: corrected, action: 'account.update' }]);
  });
});
