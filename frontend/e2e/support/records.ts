/** Records-page steps and test files, written once for every browser test. */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { crc32, deflateSync } from 'node:zlib';
import path from 'node:path';
import type { Page } from 'playwright-core';

export interface TestFile {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

/** A file whose plaintext carries a marker string a scan of the servers' data must never find. */
export function markedFile(name: string, bytes: number, marker: string): TestFile {
  const buffer = randomBytes(bytes);
  const stamp = Buffer.from(`${marker}\n`);
  for (let offset = 0; offset + stamp.length <= bytes; offset += 64 * 1024) stamp.copy(buffer, offset);
  return { name, mimeType: 'application/octet-stream', buffer };
}

/** A small valid PNG (width x height, one colour), built by hand so no image library is needed. */
export function pngFile(name: string, width: number, height: number): TestFile {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 0x3c)]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  const buffer = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', pixels), chunk('IEND', Buffer.alloc(0))]);
  return { name, mimeType: 'image/png', buffer };
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function titleOf(file: TestFile | string): string {
  return nameOf(file).replace(/\.[^.]+$/, '');
}

export async function openRecordsPage(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'Records', exact: true }).click();
  await page.getByRole('heading', { name: 'Your records' }).waitFor();
}

/** Chooses files in the upload panel (the same handler as a drop), as bytes or as paths on disk for large ones, and waits until each is uploaded. */
export async function uploadFiles(page: Page, files: TestFile[] | string[], options: { category?: string } = {}): Promise<void> {
  if (options.category) await page.getByTestId('upload-choices').getByLabel('Category').selectOption(options.category);
  await page.locator('input[type=file]').setInputFiles(files);
  for (const file of files) {
    await uploadRow(page, file).and(page.locator('[data-phase=done]')).waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: `Open ${titleOf(file)}` }).waitFor();
  }
}

function nameOf(file: TestFile | string): string {
  return typeof file === 'string' ? path.basename(file) : file.name;
}

export function uploadRow(page: Page, file: TestFile | string) {
  return page.getByTestId('upload-row').filter({ hasText: nameOf(file) });
}

/** Opens a record that is not shown in the page; returns the bytes the browser saved. */
export async function downloadRecord(page: Page, file: TestFile): Promise<{ name: string; bytes: Buffer }> {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByRole('button', { name: `Open ${titleOf(file)}` }).click()]);
  const path = await download.path();
  return { name: download.suggestedFilename(), bytes: await readFile(path) };
}
