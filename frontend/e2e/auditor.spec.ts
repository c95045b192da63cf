import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { registerUser } from '@phr/backend/test-support/factories.js';
import { openBrowser, portalUrl, type BrowserSession } from './support/browser.js';
import { createAuditorCommand, redeemInvitation, stackApi } from './support/clinicians.js';
import { newPerson } from './support/portal.js';
import { countOf, textOf } from './support/eventually.js';


describe('an auditor account, from the operator’s command to the audit page (Chromium)', () => {
  let browser: BrowserSession;
  beforeAll(async () => {
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('redeems the invitation printed by create-auditor and reads the audit trail', async () => {
    const person = newPerson('patient');
    const email = `auditor-${person.email}`;
    const code = await createAuditorCommand(email, 'Hospital security');

    const { page } = browser;
    await page.goto(portalUrl(`/register?invitation=${code}`));
    await page.getByRole('heading', { name: 'Accept your invitation' }).waitFor();
    await countOf(page.getByRole('radio'), 0);
    await redeemInvitation(page, { email, password: person.password });
    await page.getByText('Hospital security (auditor)', { exact: true }).waitFor();

    await page.getByRole('link', { name: 'Audit trail' }).click();
    await textOf(page.getByTestId('chain-status'), /^Chain verified in this browser/);
    // An auditor sees other accounts' rows: a patient who registers now shows up.
    const patient = await registerUser(stackApi());
    await page.getByLabel('Action').selectOption('account.register');
    // Ids are technical details, shown on request; the whose-trail column names the account.
    await page.getByLabel('Show technical details').check();
    const row = page.getByTestId('audit-row').filter({ hasText: patient.userId });
    await textOf(row.getByTestId('audit-subject'), patient.request.displayName, { exact: true });
    await countOf(page.getByRole('link', { name: 'Records', exact: true }), 0);
  });
});
