import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { registerStaff } from '@phr/backend/test-support/factories.js';
import type { Page } from 'playwright-core';
import { expectNoAxeViolations } from './support/axe.js';
import { openBrowser, portalUrl, type BrowserSession } from './support/browser.js';
import { createAuditorCommand, redeemInvitation, stackApi } from './support/clinicians.js';
import { countOf, textOf } from './support/eventually.js';
import { newPerson } from './support/portal.js';

const DOCS_TITLE = /Patient-held health records API/;

/** Opens an operation of the document ("GET /api/me") and answers it with "Try it out", "Execute". */
async function tryOut(page: Page, method: string, path: string) {
  const operation = page.locator(`.opblock-${method.toLowerCase()}`).filter({ has: page.locator(`[data-path="${path}"]`) });
  await operation.locator('.opblock-summary-control').click();
  await operation.getByRole('button', { name: 'Try it out' }).click();
  await operation.getByRole('button', { name: 'Execute' }).click();
  return operation.locator('.live-responses-table tbody .response').first();
}

/** Swagger UI's "Authorize" with a bearer token, after a "Logout" of the one it kept (it persists it). */
async function authorize(page: Page, token: string): Promise<void> {
  await page.getByRole('button', { name: 'Authorize' }).first().click();
  const logout = page.locator('.auth-container').getByRole('button', { name: 'Remove authorization' });
  await page.locator('#auth-bearer-value').or(logout).first().waitFor();
  if ((await logout.count()) > 0) await logout.first().click();
  await page.locator('#auth-bearer-value').fill(token);
  await page.getByRole('button', { name: 'Apply credentials' }).first().click();
  await page.locator('.auth-btn-wrapper .btn-done').first().click();
}

/** An auditor account made as the operator makes one (create-auditor), signed in to the portal in `page`. */
async function signInNewAuditor(page: Page): Promise<void> {
  const person = newPerson('patient');
  const email = `auditor-${person.email}`;
  await page.goto(portalUrl(`/register?invitation=${await createAuditorCommand(email, 'Hospital security')}`));
  await redeemInvitation(page, { email, password: person.password });
  await page.getByText('Hospital security (auditor)', { exact: true }).waitFor();
}

async function openDocs(page: Page): Promise<void> {
  if (!page.url().includes('/api/docs')) await page.goto(`${process.env.E2E_API_URL}/api/docs`);
  await page.getByRole('heading', { name: DOCS_TITLE }).waitFor();
  await page.getByText('/api/records/{id}').first().waitFor();
}

describe('Swagger UI for the security team (Chromium)', () => {
  let browser: BrowserSession;
  beforeAll(async () => {
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('renders the API under its Content-Security-Policy, with no script blocked', async () => {
    const { page } = browser;
    const blocked: string[] = [];
    page.on('console', (message) => {
      // Inline style attributes Swagger UI sets are refused on purpose (no 'unsafe-inline'); scripts must all run.
      if (/Content Security Policy/i.test(message.text()) && /inline script|script-src|Refused to (load|execute) the script/i.test(message.text())) blocked.push(message.text());
    });
    await page.goto(`${process.env.E2E_API_URL}/api/docs`);
    await page.getByRole('heading', { name: DOCS_TITLE }).waitFor();
    await page.getByText('/api/records/{id}').first().waitFor();
    expect(blocked).toEqual([]);
  });

  it('starts at the top of the page: no blank band above the first content', async () => {
    const { page } = browser;
    await page.goto(`${process.env.E2E_API_URL}/api/docs`);
    await page.getByRole('heading', { name: DOCS_TITLE }).waitFor();
    // The first thing shown is the document's title block; Nest's template puts only a hidden icon sprite before it.
    const top = await page.locator('#swagger-ui .information-container').evaluate((element) => element.getBoundingClientRect().top);
    expect(top).toBeLessThan(60);
  });

  it('has no axe violations', async () => {
    const { page } = browser;
    await page.goto(`${process.env.E2E_API_URL}/api/docs`);
    await page.getByRole('heading', { name: DOCS_TITLE }).waitFor();
    await page.getByText('/api/records/{id}').first().waitFor();
    await expectNoAxeViolations(page, { state: 'Swagger UI, operations listed' });
  });

  it('shows a JSON answer of "Try it out" as JSON, and keeps the authorization across a reload', async () => {
    const auditor = await registerStaff(stackApi(), 'auditor');
    const { page } = browser;
    await openDocs(page);
    await authorize(page, auditor.token);

    const answer = await tryOut(page, 'GET', '/api/me');
    await textOf(answer.locator('.response-col_status'), '200');
    await textOf(answer.locator('.response-col_description .highlight-code'), auditor.userId);
    await countOf(answer.getByText('Download file'), 0);
    await expectNoAxeViolations(page, { state: 'Swagger UI, GET /api/me tried out' });

    await page.reload();
    await openDocs(page);
    const again = await tryOut(page, 'GET', '/api/me');
    await textOf(again.locator('.response-col_status'), '200');
    await textOf(again.locator('.response-col_description .highlight-code'), auditor.userId);
  });

  it('sends a list of ids as one comma-separated value, as the API takes it (GET /api/audit/people?ids=)', async () => {
    const auditor = await registerStaff(stackApi(), 'auditor');
    const other = await registerStaff(stackApi(), 'auditor');
    const { page } = browser;
    await openDocs(page);
    await authorize(page, auditor.token);
    const operation = page.locator('.opblock-get').filter({ has: page.locator('[data-path="/api/audit/people"]') });
    await operation.locator('.opblock-summary-control').click();
    await operation.getByRole('button', { name: 'Try it out' }).click();
    const ids = operation.locator('tr[data-param-name="ids"]');
    for (const id of [auditor.userId, other.userId]) {
      await ids.getByRole('button', { name: /Add .*item/ }).click();
      await ids.locator('input').last().fill(id);
    }
    await operation.getByRole('button', { name: 'Execute' }).click();
    const answer = operation.locator('.live-responses-table tbody .response').first();
    await textOf(answer.locator('.response-col_status'), '200');
    const url = await textOf(operation.locator('.request-url'), 'ids=');
    expect(decodeURIComponent(url)).toContain(`ids=${auditor.userId},${other.userId}`);
    await textOf(answer.locator('.response-col_description .highlight-code'), other.userId);
  });

  it('gives an auditor a read-only token on the portal’s "API access" page: Swagger UI reads with it, a write is 403, ending it refuses it at once', async () => {
    const portal = await openBrowser();
    const docs = await openBrowser();
    try {
      await signInNewAuditor(portal.page);
      // The page's first list is read before the token is issued and arrives after it, as on a
      // busy server: the page must read the list again rather than keep that answer.
      const issuing = portal.page.waitForResponse((response) => response.request().method() === 'POST' && response.url().endsWith('/api/api-tokens'));
      let firstList = true;
      let listRead: () => void = () => undefined;
      const firstListRead = new Promise<void>((resolve) => (listRead = resolve));
      await portal.page.route('**/api/api-tokens', async (route) => {
        if (route.request().method() !== 'GET' || !firstList) return route.continue();
        firstList = false;
        const response = await route.fetch();
        listRead();
        await issuing;
        await route.fulfill({ response });
      });
      await portal.page.getByRole('link', { name: 'API access' }).click();
      await portal.page.getByLabel('What is it for?').fill('Swagger UI in the e2e suite');
      await firstListRead;
      await portal.page.getByRole('button', { name: 'Issue a read-only token' }).click();
      const token = await portal.page.getByLabel(/Your token \(shown once/).inputValue();
      expect(token.split('.')).toHaveLength(3);
      await portal.page.getByTestId('api-tokens').getByText('Swagger UI in the e2e suite').waitFor();
      await expectNoAxeViolations(portal.page, { state: 'API access page, a token issued' });

      await openDocs(docs.page);
      await authorize(docs.page, token);
      const me = await tryOut(docs.page, 'GET', '/api/me');
      await textOf(me.locator('.response-col_status'), '200');
      await textOf(me.locator('.response-col_description .highlight-code'), '"role": "auditor"');
      const rename = await tryOut(docs.page, 'PATCH', '/api/me');
      await textOf(rename.locator('.response-col_status'), '403');
      await textOf(rename.locator('.response-col_description .highlight-code'), 'This API token is read-only');

      await portal.page.getByRole('button', { name: 'End token for Swagger UI in the e2e suite' }).click();
      await countOf(portal.page.getByText('Swagger UI in the e2e suite'), 0);
      await docs.page.reload();
      await openDocs(docs.page);
      const after = await tryOut(docs.page, 'GET', '/api/me');
      await textOf(after.locator('.response-col_status'), '401');
    } finally {
      await Promise.all([portal.close(), docs.close()]);
    }
  });
});
