import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { openFamilies, withDatabase } from './support/operator.js';
import { confirmRecoveryCode, newPerson, openAccountSection, register, signIn, type Person } from './support/portal.js';
import { countOf, textOf } from './support/eventually.js';

async function auditActions(person: Person): Promise<string[]> {
  const { rows } = await withDatabase((client) =>
    client.query<{ action: string }>('SELECT a.action FROM audit_events a JOIN users u ON u.id = a.subject_id WHERE u.email = $1 ORDER BY a.seq', [person.email]),
  );
  return rows.map((row) => row.action);
}

describe('sessions in the portal: one browser signs another out (Chromium, ASVS 3.3.4)', () => {
  let phone: BrowserSession;
  let laptop: BrowserSession;
  let patient: Person;

  beforeAll(async () => {
    [phone, laptop] = await Promise.all([openBrowser(), openBrowser()]);
    patient = newPerson('patient');
  });
  afterAll(async () => {
    await Promise.all([phone?.close(), laptop?.close()]);
  });

  it('lists both signed-in browsers on the account page, marking this one', async () => {
    await confirmRecoveryCode(phone.page, await register(phone.page, patient));
    await signIn(laptop.page, patient.email, patient.password);
    await openAccountSection(laptop.page, 'security');
    const rows = laptop.page.getByTestId('sessions').locator('tbody tr');
    await rows.nth(1).waitFor();
    await countOf(rows, 2);
    await countOf(rows.filter({ hasText: '(this browser)' }), 1);
    await textOf(rows.first(), '127.0.0.1');
  });

  it('refreshes silently when an access token is refused, and carries on', async () => {
    const { page } = laptop;
    let corrupted = 0;
    // The first list request goes out with a bad token, as an expired one would; the portal must refresh and retry.
    await page.route('**/api/sessions', async (route) => {
      if (corrupted > 0) return route.continue();
      corrupted += 1;
      await route.continue({ headers: { ...route.request().headers(), authorization: 'Bearer expired.or.bad' } });
    });
    const refreshesBefore = (await auditActions(patient)).filter((action) => action === 'session.refresh').length;
    const listed = page.waitForResponse((response) => response.url().endsWith('/api/sessions') && response.status() === 200);
    await page.getByRole('link', { name: 'Records', exact: true }).click();
    await page.getByRole('heading', { name: 'Your records' }).waitFor();
    await openAccountSection(page, 'security');
    await listed;
    await countOf(page.getByTestId('sessions').locator('tbody tr'), 2);
    await page.unroute('**/api/sessions');
    expect(corrupted).toBe(1);
    expect((await auditActions(patient)).filter((action) => action === 'session.refresh')).toHaveLength(refreshesBefore + 1);
  });

  it('ends the other browser’s session: its next request fails to refresh and it lands on sign-in', async () => {
    const other = laptop.page.getByTestId('sessions').locator('tbody tr').filter({ hasNotText: '(this browser)' });
    await other.getByRole('button', { name: 'End session', exact: true }).click();
    await laptop.page.getByTestId('sessions').locator('tbody tr').nth(1).waitFor({ state: 'detached' });
    expect(await openFamilies(patient)).toBe(1);

    // The phone still shows its page; its next call is refused, the silent refresh too.
    await phone.page.getByRole('link', { name: 'Records', exact: true }).click();
    await phone.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await phone.page.getByText('Your session has ended').waitFor();
    expect(await auditActions(patient)).toContain('session.revoke');

    // The laptop, which ended it, is still signed in.
    await laptop.page.getByRole('link', { name: 'Records', exact: true }).click();
    await laptop.page.getByRole('heading', { name: 'Your records' }).waitFor();
    await openAccountSection(laptop.page, 'security');
    await laptop.page.getByTestId('sessions').locator('tbody tr').first().waitFor();
    await countOf(laptop.page.getByTestId('sessions').locator('tbody tr'), 1);
    await countOf(laptop.page.getByRole('heading', { name: 'Sign in' }), 0);
  });
});
