import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { registerUser } from '@phr/backend/test-support/factories.js';
import type { Page } from 'playwright-core';
import { openBrowser, portalUrl, type BrowserSession } from './support/browser.js';
import { createAuditorCommand, redeemInvitation, stackApi } from './support/clinicians.js';
import { newPerson } from './support/portal.js';
import { countOf, eventuallyAsync, textOf } from './support/eventually.js';

/** Every page of the auditor's list of accounts ("Show more accounts" until none is left): a full run registers hundreds. */
async function loadEveryAccount(page: Page): Promise<void> {
  const status = page.getByTestId('accounts-count');
  for (;;) {
    const text = await textOf(status, /accounts loaded/);
    if (!text.endsWith('more to load')) return;
    const loaded = (/of (\d+) accounts/.exec(text) as RegExpExecArray)[1];
    await page.getByRole('button', { name: 'Show more accounts' }).click();
    await eventuallyAsync('the next page of accounts', async () => !((await status.textContent()) ?? '').includes(`of ${loaded} accounts`));
  }
}

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

  it('offers any account as whose trail, found by name in the browser, not only the accounts on the page shown', async () => {
    const { page } = browser;
    const name = `Quiet Patient ${randomBytes(4).toString('hex')}`;
    const quiet = await registerUser(stackApi(), 'patient', { displayName: name });
    const apiUrls: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/api/')) apiUrls.push(request.url());
    });
    // The page again, with its list of accounts fetched afresh; the trail narrowed to reads, which the new account never made.
    await page.getByRole('link', { name: 'Account', exact: true }).click();
    await page.getByRole('link', { name: 'Audit trail' }).click();
    await textOf(page.getByTestId('chain-status'), /^Chain verified in this browser/);
    await page.getByLabel('Action').selectOption('record.read');
    await countOf(page.getByTestId('audit-row').filter({ hasText: name }), 0);
    await loadEveryAccount(page);

    await page.getByLabel('Find an account').fill(name.toLowerCase());
    const whose = page.getByRole('group', { name: 'Whose trail' }).getByRole('combobox', { name: /^Account/ });
    await countOf(whose.locator('option'), 2);
    await textOf(whose.locator('option').nth(1), `${name} (patient)`, { exact: true });
    await whose.selectOption({ label: `${name} (patient)` });
    await page.getByText('No entries match.').waitFor();
    await page.getByLabel('Action').selectOption('account.register');
    await textOf(page.getByTestId('audit-row').getByTestId('audit-subject'), name, { exact: true });
    await countOf(page.getByTestId('audit-row'), 1);
    // The name went nowhere but the page: the list is fetched by id and filtered here.
    expect(apiUrls.some((url) => url.includes('/api/audit/accounts'))).toBe(true);
    expect(apiUrls.filter((url) => decodeURIComponent(url).toLowerCase().includes('quiet'))).toEqual([]);
    expect(apiUrls.filter((url) => url.includes(quiet.userId)).every((url) => url.includes('subjectId=') || url.includes('ids='))).toBe(true);
  });
});
