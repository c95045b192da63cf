import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page, Route } from 'playwright-core';
import { openBrowser, portalUrl, type BrowserSession } from './support/browser.js';
import { attributeOf, countOf, eventuallyAsync, textOf } from './support/eventually.js';
import { isFocused } from './support/keyboard.js';
import { openFamilies, withDatabase } from './support/operator.js';
import { confirmRecoveryCode, fillSignIn, newPerson, openAccountSection, register, unlock, type Person } from './support/portal.js';

async function sessionAudit(person: Person): Promise<Array<{ action: string; reason: string | null }>> {
  const { rows } = await withDatabase((client) =>
    client.query<{ action: string; reason: string | null }>(
      "SELECT a.action, a.reason FROM audit_events a JOIN users u ON u.id = a.subject_id WHERE u.email = $1 AND a.action LIKE 'session.%' ORDER BY a.seq",
      [person.email],
    ),
  );
  return rows;
}

const sessionRows = (page: Page) => page.getByTestId('sessions').locator('tbody tr');

/** docs/protocol.md "Lock, reload and new tabs", in Chromium. */
describe('one session per browser: reloads, new tabs and the lock keep it behind the password', () => {
  let browser: BrowserSession;
  let patient: Person;

  beforeAll(async () => {
    browser = await openBrowser();
    patient = newPerson('patient');
    await confirmRecoveryCode(browser.page, await register(browser.page, patient));
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('keeps the session across a reload behind a lock screen that shows the email and asks only for the password', async () => {
    const { page } = browser;
    await page.getByRole('link', { name: 'Records', exact: true }).click();
    await page.getByRole('heading', { name: 'Your records' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Unlock' }).waitFor();
    await textOf(page.getByTestId('locked-email'), patient.email);
    await countOf(page.getByRole('textbox', { name: 'Email' }), 0);
    await countOf(page.getByLabel('Password'), 1);
    await countOf(page.getByRole('button', { name: 'Sign out' }), 0);

    await page.getByLabel('Password').fill(`${patient.password} typo`);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await textOf(page.getByRole('alert'), 'That password is not correct.');

    await unlock(page, patient.email, patient.password);
    // The page opens where it was, with the keys: the records list decrypts.
    await page.getByRole('heading', { name: 'Your records' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/records');
    expect(await openFamilies(patient)).toBe(1);
    const actions = (await sessionAudit(patient)).map((row) => row.action);
    expect(actions).toContain('session.unlock');
  });

  it('asks a new tab of the same browser for the password too, with the email shown; an old section link opens its page', async () => {
    const tab = await browser.context.newPage();
    try {
      // A link from before the account was split into pages (/account#keys) lands on the keys page.
      await tab.goto(portalUrl('/account#keys'));
      await unlock(tab, patient.email, patient.password);
      await tab.getByRole('heading', { name: 'Replace your key pair' }).waitFor();
      expect(new URL(tab.url()).pathname).toBe('/account/keys');
      // The account is a page per part, each a link away, the current one marked.
      const sections = tab.getByRole('navigation', { name: 'Account sections' }).getByRole('link');
      await countOf(sections, 4);
      expect(await sections.allTextContents()).toEqual(['Profile', 'Password, security keys and sessions', 'Encryption keys', 'Your data']);
      await attributeOf(sections.filter({ hasText: 'Encryption keys' }), 'aria-current', 'page');
      await attributeOf(sections.filter({ hasText: 'Profile' }), 'aria-current', null);
      await sections.filter({ hasText: 'Password, security keys and sessions' }).click();
      // As after any navigation, focus goes to the new page's heading.
      const heading = tab.getByRole('heading', { name: 'Change password', exact: true });
      await eventuallyAsync('focus on the security page’s heading', () => isFocused(heading));
      expect(new URL(tab.url()).pathname).toBe('/account/security');
      await attributeOf(sections.filter({ hasText: 'Encryption keys' }), 'aria-current', null);
      await countOf(sessionRows(tab), 1);
      // Nothing of the other pages is on this one.
      await countOf(tab.getByRole('heading', { name: 'Replace your key pair' }), 0);
      await countOf(tab.getByRole('heading', { name: 'Your account' }), 0);
    } finally {
      await tab.close();
    }
  });

  it('lists one session after several reloads, locks and sign-ins in this browser', async () => {
    const { page } = browser;
    for (let reload = 0; reload < 2; reload++) {
      await page.reload();
      await unlock(page, patient.email, patient.password);
    }
    await page.getByRole('button', { name: 'Lock', exact: true }).click();
    await unlock(page, patient.email, patient.password);
    // A browser that forgot the email (site data cleared, an older portal) but still sends the cookie: a full sign-in replaces its session.
    await page.evaluate(() => window.localStorage.removeItem('phr.session'));
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await fillSignIn(page, patient.email, patient.password);
    // A patient lands on Records, not on the account page.
    await page.getByRole('heading', { name: 'Your records' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/records');

    await openAccountSection(page, 'security');
    await sessionRows(page).first().waitFor();
    await countOf(sessionRows(page), 1);
    await countOf(sessionRows(page).filter({ hasText: '(this browser)' }), 1);
    expect(await openFamilies(patient)).toBe(1);
    expect((await sessionAudit(patient)).map((row) => row.action)).toContain('session.replace');
  });

  it('keeps two tabs signed in when both refresh at once', async () => {
    const { page } = browser;
    const second = await browser.context.newPage();
    try {
      await second.goto(portalUrl('/records'));
      await unlock(second, patient.email, patient.password);
      const refreshesBefore = (await sessionAudit(patient)).filter((row) => row.action === 'session.refresh').length;

      // Each tab's next sessions request goes out with a refused token, as an expired one would, and the refusals
      // are held until both tabs have one: both then refresh at the same moment, with the same cookie.
      let held = 0;
      let releaseBoth: () => void = () => undefined;
      const bothHeld = new Promise<void>((resolve) => (releaseBoth = resolve));
      const refuseOnce = async (tab: Page) => {
        let isRefused = false;
        await tab.route('**/api/sessions', async (route: Route) => {
          if (isRefused) return route.continue();
          isRefused = true;
          held += 1;
          if (held === 2) releaseBoth();
          await bothHeld;
          await route.continue({ headers: { ...route.request().headers(), authorization: 'Bearer expired.or.bad' } });
        });
      };
      await Promise.all([refuseOnce(page), refuseOnce(second)]);
      for (const tab of [page, second]) await tab.getByRole('link', { name: 'Records', exact: true }).click();
      await Promise.all([page, second].map((tab) => openAccountSection(tab, 'security')));

      for (const tab of [page, second]) {
        await sessionRows(tab).first().waitFor();
        await countOf(sessionRows(tab), 1);
        await countOf(tab.getByRole('heading', { name: /^(Unlock|Sign in)$/ }), 0);
      }
      const after = await sessionAudit(patient);
      expect(after.filter((row) => row.action === 'session.refresh').length).toBeGreaterThanOrEqual(refreshesBefore + 2);
      expect(after.map((row) => row.action)).not.toContain('session.refresh-reuse');
      // The tabs took turns (Web Locks): neither needed the API's grace for a token the other had just rotated.
      expect(after.filter((row) => row.reason?.includes('another tab'))).toEqual([]);
      expect(await openFamilies(patient)).toBe(1);
    } finally {
      await second.close();
    }
  });

  it('signs out for good: the session ends on the server, the browser forgets the account, and its other tabs sign out too', async () => {
    const { page } = browser;
    const other = await browser.context.newPage();
    await other.goto(portalUrl('/records'));
    await unlock(other, patient.email, patient.password);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await other.getByRole('heading', { name: 'Sign in' }).waitFor();
    await other.getByText('You signed out in another tab.').waitFor();
    await countOf(other.getByRole('heading', { name: 'Your records' }), 0);
    await other.close();
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await countOf(page.getByRole('heading', { name: 'Unlock' }), 0);
    expect(await openFamilies(patient)).toBe(0);
  });
});
