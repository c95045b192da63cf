import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openBrowser, type BrowserSession } from './support/browser.js';

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
    await page.getByRole('heading', { name: /Patient-held health records API/ }).waitFor();
    await page.getByText('/api/records/{id}').first().waitFor();
    expect(blocked).toEqual([]);
  });
});
