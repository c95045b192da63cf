import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { registerStaff } from '@phr/backend/test-support/factories.js';
import type { Page } from 'playwright-core';
import { expectNoAxeViolations } from './support/axe.js';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { stackApi } from './support/clinicians.js';
import { countOf, textOf } from './support/eventually.js';

const DOCS_TITLE = /Patient-held health records API/;

/** Opens an operation of the document ("GET /api/me") and answers it with "Try it out", "Execute". */
async function tryOut(page: Page, method: string, path: string) {
  const operation = page.locator(`.opblock-${method.toLowerCase()}`).filter({ has: page.locator(`[data-path="${path}"]`) });
  await operation.locator('.opblock-summary-control').click();
  await operation.getByRole('button', { name: 'Try it out' }).click();
  await operation.getByRole('button', { name: 'Execute' }).click();
  return operation.locator('.live-responses-table tbody .response').first();
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
    await page.getByRole('button', { name: 'Authorize' }).first().click();
    await page.locator('#auth-bearer-value').fill(auditor.token);
    await page.getByRole('button', { name: 'Apply credentials' }).first().click();
    await page.locator('.auth-btn-wrapper .btn-done').first().click();

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
});
