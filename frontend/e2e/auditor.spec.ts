import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
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

  it('offers any account as whose trail, found by name on the server with the name in a request body, not only the accounts on the page shown', async () => {
    const { page } = browser;
    const name = `Quiet Patient ${randomBytes(4).toString('hex')}`;
    const quiet = await registerUser(stackApi(), 'patient', { displayName: name });
    const apiUrls: string[] = [];
    const searches: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/api/')) apiUrls.push(request.url());
      if (request.method() === 'POST' && request.url().endsWith('/api/audit/accounts/search')) searches.push(request.postData() ?? '');
    });
    // The page again, with its list of accounts fetched afresh; the trail narrowed to reads, which the new account never made.
    await page.getByRole('link', { name: 'Account', exact: true }).click();
    await page.getByRole('link', { name: 'Audit trail' }).click();
    await textOf(page.getByTestId('chain-status'), /^Chain verified in this browser/);
    await page.getByLabel('Action').selectOption('record.read');
    await countOf(page.getByTestId('audit-row').filter({ hasText: name }), 0);
    // Found by the server wherever it sits among the accounts, with no page of them to load first.
    await page.getByLabel('Find an account').fill(name.toLowerCase());
    const whose = page.getByRole('group', { name: 'Whose trail' }).getByRole('combobox', { name: /^Account/ });
    await countOf(whose.locator('option'), 2);
    await textOf(whose.locator('option').nth(1), `${name} (patient)`, { exact: true });
    await whose.selectOption({ label: `${name} (patient)` });
    await page.getByText('No entries match.').waitFor();
    await page.getByLabel('Action').selectOption('account.register');
    await textOf(page.getByTestId('audit-row').getByTestId('audit-subject'), name, { exact: true });
    await countOf(page.getByTestId('audit-row'), 1);
    // The name went in a request body, never in a URL.
    expect(searches.map((body) => (JSON.parse(body) as { q: string }).q)).toContain(name.toLowerCase());
    expect(apiUrls.filter((url) => decodeURIComponent(url).toLowerCase().includes('quiet'))).toEqual([]);
    expect(apiUrls.filter((url) => url.includes(quiet.userId)).every((url) => url.includes('subjectId=') || url.includes('ids='))).toBe(true);
  });
});
