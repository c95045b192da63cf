import { randomBytes } from 'node:crypto';
import { mkdtemp, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RECORD_CHUNK_BYTES, RECORD_CHUNKS_PER_SEGMENT } from '@phr/shared-types';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { dumpDatabase, objectKeys, readObject, withDatabase, writeObject } from './support/operator.js';
import { confirmRecoveryCode, fillSignIn, newPerson, type Person, register, signOut, unlock } from './support/portal.js';
import { downloadRecord, markedFile, openRecordsPage, pngFile, sha256, titleOf, uploadFiles, uploadRow, type TestFile } from './support/records.js';
import { attributeOf, textOf } from './support/eventually.js';

describe('records in the portal (Chromium)', () => {
  let browser: BrowserSession;
  let patient: Person;
  const tag = randomBytes(4).toString('hex');
  const marker = `PLAINTEXT-MARKER-${tag}`;
  const folderName = `Cardiology ${tag}`;
  /** 13 chunks: several full ones and a short last one. */
  const labResult = markedFile(`blood-panel-${tag}.dat`, 12 * RECORD_CHUNK_BYTES + 4321, marker);
  const scan = pngFile(`chest-scan-${tag}.png`, 7, 5);

  beforeAll(async () => {
    browser = await openBrowser();
    patient = newPerson('patient');
    await confirmRecoveryCode(browser.page, await register(browser.page, patient));
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function recordIdOf(file: TestFile): Promise<string> {
    return withDatabase(async (client) => {
      const { rows } = await client.query<{ id: string }>(
        'SELECT r.id FROM records r JOIN users u ON u.id = r.owner_id WHERE u.email = $1 AND r.size = $2',
        [patient.email, file.buffer.length],
      );
      expect(rows).toHaveLength(1);
      return rows[0].id;
    });
  }

  it('uploads a multi-chunk file into a folder, and after a reload and a new sign-in downloads the same bytes', async () => {
    const { page } = browser;
    await openRecordsPage(page);
    await page.getByLabel('New folder').fill(folderName);
    await page.getByRole('button', { name: 'Add folder' }).click();
    await attributeOf(page.getByRole('button', { name: folderName }), 'aria-current', 'true');

    // The option's label; the sealed metadata holds its code, lab-result (docs/protocol.md "Record metadata").
    await uploadFiles(page, [labResult], { category: 'Lab result' });
    const row = page.getByTestId('record-row').filter({ hasText: titleOf(labResult) });
    await textOf(row, /Lab result/);
    await textOf(row, /3\.0 MB/);

    // A reload drops the keys, not the session: the lock screen asks for the password, and the page opens where it was.
    await page.reload();
    await unlock(page, patient.email, patient.password);
    await openRecordsPage(page);
    await page.getByRole('button', { name: folderName }).click();
    const downloaded = await downloadRecord(page, labResult);
    expect(downloaded.name).toBe(labResult.name);
    expect(downloaded.bytes).toHaveLength(labResult.buffer.length);
    expect(sha256(downloaded.bytes)).toBe(sha256(labResult.buffer));
  });

  it('uploads a file of two segments (over 64 MiB) from disk and downloads the same bytes', async () => {
    const { page } = browser;
    const bytes = RECORD_CHUNK_BYTES * RECORD_CHUNKS_PER_SEGMENT + 3 * RECORD_CHUNK_BYTES + 99;
    const file = markedFile(`imaging-study-${tag}.bin`, bytes, marker);
    const filePath = path.join(await mkdtemp(path.join(os.tmpdir(), 'phr-e2e-file-')), file.name);
    await writeFile(filePath, file.buffer);
    await page.getByRole('button', { name: 'All records', exact: true }).click();
    await uploadFiles(page, [filePath]);
    const recordId = await recordIdOf(file);
    await expect(objectKeys(`records/${recordId}/`)).resolves.toEqual([`records/${recordId}/0`, `records/${recordId}/1`]);
    const downloaded = await downloadRecord(page, file);
    expect(sha256(downloaded.bytes)).toBe(sha256(file.buffer));
  });

  it('shows a decrypted image in the page', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'All records', exact: true }).click();
    await uploadFiles(page, [scan], { category: 'Imaging' });
    await page.getByRole('button', { name: `Open ${titleOf(scan)}` }).click();
    const dialog = page.getByRole('dialog', { name: titleOf(scan) });
    await dialog.waitFor();
    const size = await dialog.getByRole('img').evaluate(async (img: HTMLImageElement) => {
      await img.decode();
      return [img.naturalWidth, img.naturalHeight, img.src.startsWith('blob:')];
    });
    expect(size).toEqual([7, 5, true]);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('leaves no plaintext, file name, title or folder name in any stored object or database row', async () => {
    const keys = await objectKeys();
    expect(keys.length).toBeGreaterThanOrEqual(2);
    for (const key of keys) {
      expect(key).toMatch(/^records\/[0-9a-f-]{36}\/\d+$/);
      const stored = await readObject(key);
      for (const secret of [marker, labResult.name, scan.name, titleOf(labResult)]) expect(stored.includes(secret)).toBe(false);
      expect(stored.includes(scan.buffer.subarray(0, 16))).toBe(false);
    }
    const rows = await dumpDatabase();
    expect(rows).toContain(patient.email);
    for (const secret of [marker, labResult.name, scan.name, titleOf(labResult), folderName, 'Lab result', 'Imaging']) {
      expect(rows.includes(secret)).toBe(false);
    }
  });

  it('refuses a record whose stored object was changed by one byte, with a clear integrity error and no file', async () => {
    const { page } = browser;
    const key = `records/${await recordIdOf(labResult)}/0`;
    const stored = await readObject(key);
    const damaged = Buffer.from(stored);
    damaged[RECORD_CHUNK_BYTES + 100] ^= 0x01;
    await writeObject(key, damaged);
    try {
      let downloads = 0;
      page.on('download', () => downloads++);
      await page.getByRole('button', { name: `Open ${titleOf(labResult)}` }).click();
      await expect(page.getByRole('alert').filter({ hasText: 'integrity' }).textContent()).resolves.toBe(
        'The record failed its integrity check: it was changed, cut short or reordered',
      );
      expect(downloads).toBe(0);
    } finally {
      await writeObject(key, stored);
    }
  });

  it('renews expired upload URLs and finishes the upload', async () => {
    const { page } = browser;
    const file = markedFile(`renewed-${tag}.dat`, RECORD_CHUNK_BYTES + 1, marker);
    const storeOrigin = new URL(process.env.E2E_S3_ENDPOINT as string).origin;
    let refused = 0;
    // The first PUT gets the store's answer to an expired URL.
    await page.route(`${storeOrigin}/**`, async (route) => {
      if (route.request().method() !== 'PUT' || refused > 0) return route.continue();
      refused++;
      await route.fulfill({
        status: 403,
        headers: { 'access-control-allow-origin': new URL(page.url()).origin, 'content-type': 'application/xml' },
        body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>',
      });
    });
    const presigns: string[] = [];
    const onRequest = (request: { url(): string; postData(): string | null }) => {
      if (request.url().endsWith('/api/records/presign')) presigns.push(request.postData() ?? '');
    };
    page.on('request', onRequest);
    try {
      await uploadFiles(page, [file]);
    } finally {
      page.off('request', onRequest);
      await page.unrouteAll();
    }
    expect(refused).toBe(1);
    expect(presigns).toHaveLength(2);
    const recordId = await recordIdOf(file);
    expect(JSON.parse(presigns[1])).toEqual({ size: file.buffer.length, recordId });
  });

  it('cancels an upload in progress: nothing is committed', async () => {
    const { page } = browser;
    const file = markedFile(`cancelled-${tag}.dat`, 2 * RECORD_CHUNK_BYTES, marker);
    const storeOrigin = new URL(process.env.E2E_S3_ENDPOINT as string).origin;
    // PUTs hang, so the upload is certainly in progress when Cancel is pressed.
    await page.route(`${storeOrigin}/**`, (route) => (route.request().method() === 'PUT' ? undefined : route.continue()));
    try {
      await page.locator('input[type=file]').setInputFiles([file]);
      const row = uploadRow(page, file);
      await row.and(page.locator('[data-phase=uploading]')).waitFor();
      await row.getByRole('button', { name: `Cancel upload of ${file.name}` }).click();
      await row.and(page.locator('[data-phase=cancelled]')).waitFor();
    } finally {
      await page.unrouteAll({ behavior: 'ignoreErrors' });
    }
    const committed = await withDatabase(async (client) => (await client.query<{ id: string }>('SELECT id FROM records WHERE size = $1', [file.buffer.length])).rows);
    expect(committed).toHaveLength(0);
  });

  it('refuses a file over the size limit before uploading anything, saying what the limit is', async () => {
    const { page } = browser;
    const limit = Number(process.env.E2E_RECORD_MAX_BYTES);
    const name = `too-big-${tag}.dat`;
    // On disk (sparse), so the browser reads it from there instead of receiving it over the wire.
    const filePath = path.join(await mkdtemp(path.join(os.tmpdir(), 'phr-e2e-file-')), name);
    await writeFile(filePath, '');
    await truncate(filePath, limit + 1);
    let puts = 0;
    const countPut = (request: { method(): string }) => {
      if (request.method() === 'PUT') puts++;
    };
    page.on('request', countPut);
    await page.locator('input[type=file]').setInputFiles(filePath);
    const row = page.getByTestId('upload-row').filter({ hasText: name });
    await row.and(page.locator('[data-phase=failed]')).waitFor();
    await textOf(row.getByRole('alert'), 'The file is larger than the limit of 80 MiB', { exact: true });
    page.off('request', countPut);
    expect(puts).toBe(0);
  });

  it('moves a record to the trash, and from there deletes it only after confirmation, and its objects with it', async () => {
    const { page } = browser;
    const recordId = await recordIdOf(scan);
    await page.getByRole('button', { name: `Delete ${titleOf(scan)}`, exact: true }).click();
    await page.getByTestId('record-row').filter({ hasText: titleOf(scan) }).waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Trash', exact: true }).click();
    await page.getByRole('button', { name: `Delete ${titleOf(scan)} now` }).click();
    await page.getByRole('button', { name: 'Keep' }).click();
    await expect(objectKeys(`records/${recordId}/`)).resolves.toHaveLength(1);

    await page.getByRole('button', { name: `Delete ${titleOf(scan)} now` }).click();
    await page.getByText(`Delete “${titleOf(scan)}” for good?`).waitFor();
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    await page.getByText('The trash is empty.').waitFor();
    await expect(objectKeys(`records/${recordId}/`)).resolves.toEqual([]);
    await page.getByRole('button', { name: 'Back to records' }).click();
    await page.getByRole('button', { name: `Open ${titleOf(labResult)}` }).waitFor();
  });

  it('shows the next person at this browser nothing of the previous one’s records after a sign-out, not even for a moment', async () => {
    const other = newPerson('patient');
    const elsewhere = await openBrowser();
    try {
      await confirmRecoveryCode(elsewhere.page, await register(elsewhere.page, other));
    } finally {
      await elsewhere.close();
    }
    const { page } = browser;
    await openRecordsPage(page);
    await page.getByRole('button', { name: `Open ${titleOf(labResult)}` }).waitFor();
    await page.getByRole('button', { name: folderName }).waitFor();

    await signOut(page);
    // From here on, every change to the page is checked for the first patient's names (decrypted in their session).
    await page.evaluate((names) => {
      const seen: string[] = [];
      (window as unknown as { previousNamesSeen: string[] }).previousNamesSeen = seen;
      const look = () => {
        const text = document.body.textContent ?? '';
        for (const name of names) if (text.includes(name) && !seen.includes(name)) seen.push(name);
      };
      look();
      new MutationObserver(look).observe(document.body, { subtree: true, childList: true, characterData: true });
    }, [titleOf(labResult), folderName]);

    // The same page, no reload: only the sign-out stands between the two people.
    await fillSignIn(page, other.email, other.password);
    await page.getByRole('heading', { name: 'Your records' }).waitFor();
    await openRecordsPage(page);
    await page.getByText('No records here yet.').waitFor();
    await page.getByRole('button', { name: 'All records', exact: true }).waitFor();
    await expect(page.evaluate(() => (window as unknown as { previousNamesSeen: string[] }).previousNamesSeen)).resolves.toEqual([]);
  });
});
