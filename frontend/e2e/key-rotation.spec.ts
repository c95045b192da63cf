import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { textOf } from './support/eventually.js';
import { withDatabase } from './support/operator.js';
import { confirmRecoveryCode, newPerson, openAccountSection, type Person, register, unlock } from './support/portal.js';
import { downloadRecord, markedFile, openRecordsPage, sha256, uploadFiles, type TestFile } from './support/records.js';

const BATCH_ROUTE = '**/me/account-key/rotation/batch';
const FINISH_ROUTE = '**/me/account-key/rotation/finish';

describe('account-key rotation in the portal (Chromium, issue 12)', () => {
  let browser: BrowserSession;
  let patient: Person;
  const tag = randomBytes(4).toString('hex');
  const folderName = `Cardiology ${tag}`;
  const files: TestFile[] = [markedFile(`ecg-${tag}.dat`, 3000, `ECG-${tag}`), markedFile(`letter-${tag}.dat`, 1500, `LETTER-${tag}`)];

  beforeAll(async () => {
    browser = await openBrowser();
    patient = newPerson('patient');
    await confirmRecoveryCode(browser.page, await register(browser.page, patient));
  });
  afterAll(async () => {
    await browser?.close();
  });

  const rotationCard = () => browser.page.locator('section', { has: browser.page.getByRole('heading', { name: 'Rotate account key', exact: true }) });

  async function generations(): Promise<{ account: number; rotating: number; ownerWraps: number[]; folders: number[] }> {
    return withDatabase(async (client) => {
      const { rows: [account] } = await client.query<{ id: string; key_generation: number }>(
        'SELECT u.id, c.key_generation FROM users u JOIN credentials c ON c.user_id = u.id WHERE u.email = $1',
        [patient.email],
      );
      const rotating = await client.query('SELECT 1 FROM account_key_rotations WHERE user_id = $1', [account.id]);
      const wraps = await client.query<{ key_generation: number }>('SELECT key_generation FROM record_wraps WHERE owner_id = $1 AND recipient_id = $1 ORDER BY key_generation', [account.id]);
      const folders = await client.query<{ key_generation: number }>('SELECT key_generation FROM folders WHERE owner_id = $1 ORDER BY key_generation', [account.id]);
      return { account: account.key_generation, rotating: rotating.rowCount ?? 0, ownerWraps: wraps.rows.map((row) => row.key_generation), folders: folders.rows.map((row) => row.key_generation) };
    });
  }

  async function reloadAndUnlock(): Promise<void> {
    const { page } = browser;
    await page.reload();
    await unlock(page, patient.email, patient.password);
    await openAccountSection(page, 'keys');
  }

  async function expectEveryRecordOpens(): Promise<void> {
    const { page } = browser;
    await openRecordsPage(page);
    await page.getByRole('button', { name: 'All records', exact: true }).click();
    for (const file of files) expect(sha256((await downloadRecord(page, file)).bytes)).toBe(sha256(file.buffer));
    await page.getByRole('button', { name: folderName }).waitFor();
  }

  it('is interrupted at a batch and at the finish, resumes by itself at each new sign-in, opens every record halfway, and shows the new recovery code', async () => {
    const { page } = browser;
    await openRecordsPage(page);
    await page.getByLabel('New folder').fill(folderName);
    await page.getByRole('button', { name: 'Add folder' }).click();
    await page.getByRole('button', { name: folderName }).waitFor();
    await uploadFiles(page, [files[0]]);
    await page.getByRole('button', { name: 'All records', exact: true }).click();
    await uploadFiles(page, [files[1]]);

    // First the batch is cut off: the rotation has started, nothing is re-sealed yet.
    await page.route(BATCH_ROUTE, (route) => route.abort());
    await page.route(FINISH_ROUTE, (route) => route.abort());
    await openAccountSection(page, 'keys');
    await rotationCard().getByLabel('Password for the key rotation').fill(patient.password);
    await rotationCard().getByRole('button', { name: 'Rotate account key' }).click();
    await textOf(rotationCard(), /The rotation stopped; nothing is lost/);
    expect(await generations()).toEqual({ account: 1, rotating: 1, ownerWraps: [1, 1], folders: [1] });

    // A reload and a new sign-in: the card resumes by itself, the batch goes through, the finish is still cut off.
    await page.unroute(BATCH_ROUTE);
    await reloadAndUnlock();
    await textOf(rotationCard(), /The rotation stopped; nothing is lost/);
    expect(await generations()).toEqual({ account: 1, rotating: 1, ownerWraps: [2, 2], folders: [2] });
    // Halfway (every wrap under the new key, the old key still in force for the password): every record opens.
    await expectEveryRecordOpens();

    // Another reload and sign-in with the finish let through: the rotation finishes by itself and shows the new code once.
    await page.unroute(FINISH_ROUTE);
    await reloadAndUnlock();
    const code = await textOf(rotationCard().getByTestId('key-rotation-recovery-code'), /^[0-9A-Z]{4}(-[0-9A-Z]{4}){7}$/);
    expect(code).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){7}$/);
    expect(await generations()).toEqual({ account: 2, rotating: 0, ownerWraps: [2, 2], folders: [2] });
    // The session that finished goes on (only the others were ended) and opens every record.
    await expectEveryRecordOpens();

    // With the new key alone (a fresh sign-in), every record and the folder still open.
    await reloadAndUnlock();
    await expectEveryRecordOpens();

    // The audit page shows every step.
    await page.getByRole('link', { name: 'Audit trail' }).click();
    // The action codes are technical details, shown on request.
    await page.getByLabel('Show technical details').check();
    for (const action of ['account.key-rotation-start', 'account.key-rotation-batch', 'account.key-rotation-finish']) {
      await page.getByTestId('audit-row').filter({ hasText: action }).filter({ hasText: 'Allowed' }).first().waitFor();
    }
    await page.getByTestId('audit-row').filter({ hasText: 'account.key-rotation-finish' }).filter({ hasText: 'generation 2 in force' }).waitFor();
    // No red alert; if one shows, its kind and text say which check raised it.
    expect(await page.locator('[data-testid="trust-alert"]').evaluateAll((alerts) => alerts.map((alert) => `${alert.getAttribute('data-kind')}: ${alert.textContent}`))).toEqual([]);
  });
});
