/**
 * Organising records in the portal (docs/protocol.md "Organising records", "Trash"): a
 * category per file at upload, rename and re-categorise (re-sealed in the browser), search
 * and sort over the decrypted metadata, moves between folders, the trash and restoring.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { withDatabase } from './support/operator.js';
import { confirmRecoveryCode, newPerson, register, type Person } from './support/portal.js';
import { markedFile, openRecordsPage, titleOf, uploadFiles, uploadRow } from './support/records.js';
import { countOf, eventually, textOf } from './support/eventually.js';

describe('organising records in the portal (Chromium)', () => {
  let browser: BrowserSession;
  let patient: Person;
  const tag = randomBytes(4).toString('hex');
  const letter = markedFile(`discharge-letter-${tag}.txt`, 300, 'letter');
  const xray = markedFile(`knee-xray-${tag}.txt`, 200, 'x-ray');
  const prescription = markedFile(`antibiotics-${tag}.txt`, 100, 'prescription');
  const folderName = `Orthopaedics ${tag}`;

  beforeAll(async () => {
    browser = await openBrowser();
    patient = newPerson('patient');
    await confirmRecoveryCode(browser.page, await register(browser.page, patient));
  });
  afterAll(async () => {
    await browser?.close();
  });

  const rowOf = (title: string) => browser.page.getByTestId('record-row').filter({ hasText: title });
  const titlesShown = () => browser.page.getByTestId('record-row').locator('td:first-child').allTextContents();
  const metadataOf = (size: number) =>
    withDatabase(async (client) => {
      const { rows } = await client.query<{ metadata: string }>('SELECT r.metadata FROM records r JOIN users u ON u.id = r.owner_id WHERE u.email = $1 AND r.size = $2', [patient.email, size]);
      return rows[0]?.metadata;
    });

  it('gives each file its own category while it uploads', async () => {
    const { page } = browser;
    await openRecordsPage(page);
    // The upload of the letter waits at its first request until its own category is chosen.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/api/records/presign', async (route) => {
      await held;
      await route.continue();
    });
    await page.getByTestId('upload-choices').getByLabel('Category').selectOption('Imaging');
    const presigns: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/api/records/presign')) presigns.push(request.url());
    });
    await page.locator('input[type=file]').setInputFiles([letter, xray]);
    // The hold is in place: the first upload's request is waiting on it.
    await eventually('an upload waiting at its presign request', () => presigns.length > 0);
    await uploadRow(page, letter).getByLabel(`Category of ${letter.name}`).selectOption('Letter');
    release();
    for (const file of [letter, xray]) await uploadRow(page, file).and(page.locator('[data-phase=done]')).waitFor({ timeout: 60_000 });
    await page.unroute('**/api/records/presign');
    await textOf(rowOf(titleOf(letter)), /Letter/);
    await textOf(rowOf(titleOf(xray)), /Imaging/);
  });

  it('renames and re-categorises a record: the metadata is sealed again in the browser, the server stores no word of it', async () => {
    const { page } = browser;
    const before = await metadataOf(xray.buffer.length);
    await page.getByRole('button', { name: `Edit ${titleOf(xray)}` }).click();
    const form = page.getByRole('form', { name: `Edit ${titleOf(xray)}` });
    await form.getByLabel('Title').fill(`Right knee ${tag}`);
    await form.getByLabel('Category').selectOption('Lab result');
    await form.getByLabel('Date of the record').fill('2025-10-01');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await form.waitFor({ state: 'detached' });
    const row = rowOf(`Right knee ${tag}`);
    await textOf(row, /Lab result/);
    await textOf(row, /2025-10-01/);
    const after = await metadataOf(xray.buffer.length);
    expect(after).not.toBe(before);
    expect(after?.includes('Right knee')).toBe(false);
  });

  it('searches and sorts over the decrypted titles, categories and dates', async () => {
    const { page } = browser;
    await uploadFiles(page, [prescription], { category: 'Prescription' });
    await page.getByLabel('Search').fill('knee');
    await countOf(page.getByTestId('record-row'), 1);
    await rowOf(`Right knee ${tag}`).waitFor();
    await page.getByLabel('Search').fill('prescription');
    await rowOf(titleOf(prescription)).waitFor();
    await countOf(page.getByTestId('record-row'), 1);
    await page.getByLabel('Search').fill('nothing-like-this');
    await page.getByText('No record matches “nothing-like-this”.').waitFor();

    await page.getByLabel('Search').fill('');
    await page.getByLabel('Sort by').selectOption('Title');
    await countOf(page.getByTestId('record-row'), 3);
    await textOf(page.getByTestId('record-row').first(), titleOf(prescription));
    expect(await titlesShown()).toEqual([titleOf(prescription), titleOf(letter), `Right knee ${tag}`]);
    await page.getByLabel('Sort by').selectOption('Category');
    // Lab result, Letter, Prescription.
    await textOf(page.getByTestId('record-row').first(), `Right knee ${tag}`);
    expect(await titlesShown()).toEqual([`Right knee ${tag}`, titleOf(letter), titleOf(prescription)]);
    await page.getByLabel('Sort by').selectOption('Newest added');
  });

  it('moves a record into a folder and back out of it', async () => {
    const { page } = browser;
    await page.getByLabel('New folder').fill(folderName);
    await page.getByRole('button', { name: 'Add folder' }).click();
    // The new folder is chosen once it is made: only then back to all records.
    await page.getByRole('button', { name: folderName, exact: true }).and(page.locator('[aria-current=true]')).waitFor();
    await page.getByRole('button', { name: 'All records', exact: true }).click();
    await page.getByRole('button', { name: `Move ${titleOf(letter)}`, exact: true }).click();
    await page.getByLabel(`Move “${titleOf(letter)}” to`).selectOption(folderName);
    await page.getByRole('button', { name: 'Move', exact: true }).click();
    await page.getByText(`Moved “${titleOf(letter)}” to the folder “${folderName}”`).waitFor();

    await page.getByRole('button', { name: folderName }).click();
    await rowOf(titleOf(letter)).waitFor();
    await countOf(page.getByTestId('record-row'), 1);
    await page.getByRole('button', { name: `Move ${titleOf(letter)}`, exact: true }).click();
    await page.getByLabel(`Move “${titleOf(letter)}” to`).selectOption('No folder');
    await page.getByRole('button', { name: 'Move', exact: true }).click();
    await page.getByText('No records here yet.').waitFor();
  });

  it('moves a record to the trash and restores it', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'All records', exact: true }).click();
    await page.getByRole('button', { name: `Delete ${titleOf(prescription)}`, exact: true }).click();
    await page.getByText(`Moved “${titleOf(prescription)}” to the trash: you can restore it until`).waitFor();
    await rowOf(titleOf(prescription)).waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'Trash', exact: true }).click();
    const trashed = rowOf(titleOf(prescription));
    await trashed.waitFor();
    // The browser's own date format, for the day 30 days on.
    const ends = await page.evaluate(() => new Date(Date.now() + 30 * 86_400_000).toLocaleDateString());
    await textOf(trashed, ends);
    await page.getByRole('button', { name: `Restore ${titleOf(prescription)}` }).click();
    await page.getByText('The trash is empty.').waitFor();
    await page.getByRole('button', { name: 'Back to records' }).click();
    await rowOf(titleOf(prescription)).waitFor();
  });
});
