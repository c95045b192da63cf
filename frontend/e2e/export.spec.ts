import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EXPORT_MANIFEST_PATH, firstBrokenAuditRow, RECORD_CHUNK_BYTES, type ExportedRecord, type ExportManifest, type FailedRecord } from '@phr/shared-types';
import { strFromU8, unzipSync } from 'fflate';
import type { Page, Request } from 'playwright-core';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { approveDoctor } from './support/clinicians.js';
import { objectKeys, readObject, withDatabase, writeObject } from './support/operator.js';
import { confirmRecoveryCode, newPerson, openAccountSection, register, type Person } from './support/portal.js';
import { markedFile, openRecordsPage, sha256, titleOf, type TestFile } from './support/records.js';
import { attributeOf, disabledState, eventually, textOf } from './support/eventually.js';
import { chooseDoctor, confirmDoctorKey } from './support/sharing.js';

const sha256Text = async (text: string) => createHash('sha256').update(text).digest('hex');

interface Export {
  files: Record<string, Uint8Array>;
  manifest: ExportManifest;
  suggestedName: string;
}

describe('downloading all my data (GDPR export, Chromium)', () => {
  let patientBrowser: BrowserSession;
  let doctorBrowser: BrowserSession;
  let patient: Person;
  let doctor: Person;
  const tag = randomBytes(4).toString('hex');
  const marker = `EXPORT-MARKER-${tag}`;
  const folderName = `Lab ${tag}`;
  /** Three chunks: the export must stream a multi-chunk record whole. */
  const imaging = markedFile(`imaging-${tag}.dat`, 2 * RECORD_CHUNK_BYTES + 1234, marker);
  /** Two records with one original name: the archive keeps both. */
  const reportOld = { ...markedFile(`report-${tag}.pdf`, 4000, marker), mimeType: 'application/pdf' };
  const reportNew = { ...markedFile(`report-${tag}.pdf`, 5000, marker), mimeType: 'application/pdf' };
  /** A name no archive may carry as it is: separators, a drive colon, a control character. */
  const hostile = { ...markedFile(`..\\..\\evil:${tag}\u0007.txt`, 300, marker), mimeType: 'text/plain' };

  beforeAll(async () => {
    [patientBrowser, doctorBrowser] = await Promise.all([openBrowser(), openBrowser()]);
    patient = newPerson('patient');
    doctor = newPerson('doctor');
    await confirmRecoveryCode(doctorBrowser.page, await register(doctorBrowser.page, doctor));
    await approveDoctor(doctor);
    await confirmRecoveryCode(patientBrowser.page, await register(patientBrowser.page, patient));
  }, 120_000);
  afterAll(async () => {
    await Promise.all([patientBrowser?.close(), doctorBrowser?.close()]);
  });

  /** Uploads one file and waits for its row to finish (names may repeat, so rows are counted). */
  async function upload(page: Page, file: TestFile): Promise<void> {
    const finished = page.locator('[data-testid=upload-row][data-phase=done]');
    const before = await finished.count();
    await page.locator('input[type=file]').setInputFiles([file]);
    await finished.nth(before).waitFor({ timeout: 60_000 });
  }

  async function recordIdOf(file: TestFile): Promise<string> {
    return withDatabase(async (client) => {
      const { rows } = await client.query<{ id: string }>('SELECT r.id FROM records r JOIN users u ON u.id = r.owner_id WHERE u.email = $1 AND r.size = $2', [
        patient.email,
        file.buffer.length,
      ]);
      expect(rows).toHaveLength(1);
      return rows[0].id;
    });
  }

  async function openExport(page: Page): Promise<void> {
    await openAccountSection(page, 'data');
    await page.getByRole('heading', { name: 'Download my data' }).waitFor();
  }

  async function exportData(page: Page): Promise<Export> {
    await openExport(page);
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByRole('button', { name: 'Download my data' }).click()]);
    const files = unzipSync(new Uint8Array(await readFile(await download.path())));
    const manifest = JSON.parse(strFromU8(files[EXPORT_MANIFEST_PATH])) as ExportManifest;
    return { files, manifest, suggestedName: download.suggestedFilename() };
  }

  const exportedByHash = (manifest: ExportManifest, file: TestFile) =>
    manifest.records.filter((record): record is ExportedRecord => record.status === 'exported' && record.sha256 === sha256(file.buffer));

  it('saves every record under its original name, deduplicated and made safe, with a manifest of metadata, consents and a verified audit trail', async () => {
    const page = patientBrowser.page;
    await openRecordsPage(page);
    await page.getByLabel('New folder').fill(folderName);
    await page.getByRole('button', { name: 'Add folder' }).click();
    await attributeOf(page.getByRole('button', { name: folderName }), 'aria-current', 'true');
    await upload(page, imaging);
    await page.getByRole('button', { name: 'All records', exact: true }).click();
    for (const file of [reportOld, reportNew, hostile]) await upload(page, file);

    // Share the folder's record with the doctor.
    await page.getByRole('button', { name: `Share ${titleOf(imaging)}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Share with a doctor' });
    await chooseDoctor(dialog, doctor);
    await confirmDoctorKey(dialog, null, { isFirstShare: true });
    await dialog.getByRole('button', { name: 'Share', exact: true }).click();
    await dialog.getByText(`with ${doctor.displayName}.`).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();

    const storedBefore = await objectKeys();
    const { files, manifest, suggestedName } = await exportData(page);
    await textOf(page.getByRole('status').filter({ hasText: 'Saved health-records-export-' }), '4 records');
    expect(suggestedName).toMatch(/^health-records-export-\d{4}-\d{2}-\d{2}\.zip$/);

    // The archive: each file under its (safe, unique) original name, byte for byte.
    const reportPaths = [`records/report-${tag}.pdf`, `records/report-${tag} (2).pdf`];
    const hostilePath = `records/_.._evil_${tag}_.txt`;
    const imagingPath = `records/${folderName}/imaging-${tag}.dat`;
    expect(Object.keys(files).sort()).toEqual([EXPORT_MANIFEST_PATH, imagingPath, ...reportPaths, hostilePath].sort());
    expect(sha256(Buffer.from(files[imagingPath]))).toBe(sha256(imaging.buffer));
    expect(sha256(Buffer.from(files[hostilePath]))).toBe(sha256(hostile.buffer));
    expect(reportPaths.map((path) => sha256(Buffer.from(files[path]))).sort()).toEqual([sha256(reportOld.buffer), sha256(reportNew.buffer)].sort());

    // The manifest: the account, and each record with its metadata and the hash of its original bytes.
    const patientId = await withDatabase(async (client) => (await client.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [patient.email])).rows[0].id);
    expect(manifest).toMatchObject({ format: 'phr-export', version: 1, account: { id: patientId, email: patient.email, displayName: patient.displayName, role: 'patient' } });
    expect(Date.now() - Date.parse(manifest.exportedAt)).toBeLessThan(5 * 60_000);
    expect(manifest.records).toHaveLength(4);
    for (const file of [imaging, reportOld, reportNew, hostile]) {
      const [entry] = exportedByHash(manifest, file);
      expect(entry).toMatchObject({ id: await recordIdOf(file), fileName: file.name, mimeType: file.mimeType, size: file.buffer.length, title: titleOf(file), category: 'other' });
      expect(sha256(Buffer.from(files[entry.path]))).toBe(entry.sha256);
    }
    const [imagingEntry] = exportedByHash(manifest, imaging);
    expect(imagingEntry).toMatchObject({ path: imagingPath, folder: folderName });
    expect(imagingEntry.folderId).toMatch(/^[0-9a-f-]{36}$/);
    expect(exportedByHash(manifest, hostile)[0].folder).toBeNull();

    // The consent, as the API lists it.
    expect(manifest.consents).toHaveLength(1);
    const [consent] = manifest.consents;
    expect(consent).toMatchObject({ doctorName: doctor.displayName, scope: 'record', recordId: imagingEntry.id, status: 'active', patientId });

    // The audit trail: verified in the browser, the same chain the database holds, and holding the uploads, commits, share and the export's reads.
    const { audit } = manifest;
    expect(audit.isChainVerified).toBe(true);
    expect(audit.firstBrokenSeq).toBeNull();
    expect(audit.events.map((event) => event.seq)).toEqual(audit.events.map((_, i) => i + 1));
    expect(audit.events.length).toBeGreaterThanOrEqual(audit.head.seq);
    expect(await firstBrokenAuditRow(audit.events, sha256Text)).toBeNull();
    const stored = await withDatabase(async (client) => (await client.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit_events WHERE subject_id = $1 ORDER BY seq', [patientId])).rows);
    expect(audit.events.map((event) => event.hash)).toEqual(stored.slice(0, audit.events.length).map((row) => row.hash));
    for (const entry of manifest.records) {
      for (const action of ['record.upload', 'record.create', 'record.read']) {
        expect(audit.events.some((event) => event.action === action && event.recordId === entry.id && event.outcome === 'allow')).toBe(true);
      }
    }
    expect(audit.events.some((event) => event.action === 'consent.grant' && event.consentId === consent.id)).toBe(true);

    // The export read what the store already held and wrote nothing to it (other suites may upload meanwhile: their objects are theirs).
    const newIds = [...new Set((await objectKeys()).filter((key) => !storedBefore.includes(key)).map((key) => key.split('/')[1]))];
    const owners = await withDatabase(
      async (client) =>
        (
          await client.query<{ email: string }>(
            `SELECT u.email FROM (SELECT owner_id FROM records WHERE id = ANY($1::uuid[]) UNION ALL SELECT owner_id FROM uploads WHERE record_id = ANY($1::uuid[])) o
             JOIN users u ON u.id = o.owner_id`,
            [newIds],
          )
        ).rows,
    );
    expect(owners).toHaveLength(newIds.length);
    expect(owners.map((owner) => owner.email)).not.toContain(patient.email);
  }, 120_000);

  it('lists a record that fails to decrypt in the manifest with its reason, and tells the patient', async () => {
    const page = patientBrowser.page;
    const damagedId = await recordIdOf(reportOld);
    const key = `records/${damagedId}/0`;
    const original = await readObject(key);
    const damaged = Buffer.from(original);
    damaged[damaged.length - 20] ^= 0x01;
    await writeObject(key, damaged);
    try {
      const { files, manifest } = await exportData(page);
      const failed = manifest.records.filter((record): record is FailedRecord => record.status === 'failed');
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({ id: damagedId, metadata: { fileName: reportOld.name }, size: reportOld.buffer.length });
      expect(failed[0].error).toContain('integrity check');
      expect(Object.keys(files).sort()).toEqual([EXPORT_MANIFEST_PATH, `records/${folderName}/imaging-${tag}.dat`, `records/report-${tag}.pdf`, `records/_.._evil_${tag}_.txt`].sort());
      expect(sha256(Buffer.from(files[`records/report-${tag}.pdf`]))).toBe(sha256(reportNew.buffer));
      expect(manifest.audit.isChainVerified).toBe(true);
      await textOf(page.getByTestId('export-failures'), `${titleOf(reportOld)}: The record failed its integrity check`);
      await textOf(page.getByRole('status').filter({ hasText: 'Saved health-records-export-' }), '3 records');
    } finally {
      await writeObject(key, original);
    }
  });

  it('stops when cancelled and saves nothing', async () => {
    const page = patientBrowser.page;
    const { context } = patientBrowser;
    // Hold the store's answers so the export is surely still running when Cancel is pressed.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let heldRequests = 0;
    const storeObject = /\/phr-records\/records\//;
    await context.route(storeObject, async (route) => {
      heldRequests += 1;
      await held;
      await route.continue();
    });
    let settledRequests = 0;
    const countSettled = (request: Request) => {
      if (storeObject.test(request.url())) settledRequests += 1;
    };
    context.on('requestfinished', countSettled);
    context.on('requestfailed', countSettled);
    try {
      let downloads = 0;
      page.on('download', () => downloads++);
      await openExport(page);
      await page.getByRole('button', { name: 'Download my data' }).click();
      await page.getByTestId('export-progress').getByText(/Decrypting record 1 of 4/).waitFor();
      // The progress line comes before the record's URL is asked for: cancel once the store is surely being read.
      await eventually('the export to ask the store for a record', () => heldRequests > 0);
      await page.getByRole('button', { name: 'Cancel export' }).click();
      await textOf(page.getByRole('status').filter({ hasText: 'Export cancelled' }), 'Export cancelled. Nothing was saved.', { exact: true });
      const heldAtCancel = heldRequests;
      expect(heldAtCancel).toBeGreaterThan(0);
      release();
      // The held answers arrive (or were dropped); a cancelled export must not go on from them.
      await eventually('the held store requests to settle', () => settledRequests >= heldAtCancel);
      await disabledState(page.getByRole('button', { name: 'Download my data' }), false);
      expect(heldRequests).toBe(heldAtCancel);
      expect(downloads).toBe(0);
    } finally {
      release();
      context.off('requestfinished', countSettled);
      context.off('requestfailed', countSettled);
      await context.unrouteAll({ behavior: 'ignoreErrors' });
    }
  });
});
