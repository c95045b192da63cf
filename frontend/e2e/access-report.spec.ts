import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFRawStream, decodePDFRawStream, type PDFPage } from 'pdf-lib';
import type { Page } from 'playwright-core';
import { BALP_PATIENT_READ_PROFILE, type FhirAuditEvent, type FhirConsent } from '@phr/shared-types';
import { type BrowserSession } from './support/browser.js';
import { countOf, textOf } from './support/eventually.js';
import { type Person } from './support/portal.js';
import { downloadRecord, markedFile, openRecordsPage, titleOf, uploadFiles } from './support/records.js';
import { openSharedWithMe, patientAndApprovedDoctor, shareRecordWith } from './support/sharing.js';

/**
 * The access report (accounting of disclosures, issue 16; docs/protocol.md "Access report"): after
 * a real share and a real read by the doctor, the patient downloads the report as CSV and as PDF
 * from the trail page, made in the browser with the title it decrypted.
 */
describe('the access report as CSV and PDF (Chromium, two browsers)', () => {
  let patientBrowser: BrowserSession;
  let doctorBrowser: BrowserSession;
  let patient: Person;
  let doctor: Person;
  let readBefore: number;
  let readAfter: number;
  const tag = randomBytes(4).toString('hex');
  // A title beyond Latin-1 (Polish, Cyrillic, Greek), short enough for its column: the PDF prints it as typed.
  const xray = markedFile(`Łódź-Київ-Ωμ-${tag}.pdf`, 3000, `KNEE-${tag}`);

  beforeAll(async () => {
    let doctorFingerprint: string;
    ({ patientBrowser, doctorBrowser, patient, doctor, doctorFingerprint } = await patientAndApprovedDoctor());
    const page = patientBrowser.page;
    await openRecordsPage(page);
    await uploadFiles(page, [xray]);
    await shareRecordWith(page, xray, doctor, doctorFingerprint);
    await openSharedWithMe(doctorBrowser.page);
    readBefore = Date.now() - 1000;
    await downloadRecord(doctorBrowser.page, xray);
    readAfter = Date.now() + 1000;
    await page.getByRole('link', { name: 'Audit trail' }).click();
    await textOf(page.getByTestId('chain-status'), /^Chain verified in this browser/);
  });
  afterAll(async () => {
    await Promise.all([patientBrowser?.close(), doctorBrowser?.close()]);
  });

  async function downloadReport(page: Page, format: 'CSV' | 'PDF'): Promise<{ name: string; bytes: Buffer }> {
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByRole('button', { name: `Download access report (${format})` }).click()]);
    return { name: download.suggestedFilename(), bytes: await readFile(await download.path()) };
  }

  it('downloads a CSV with one line for the doctor’s read: name, decrypted title, basis consent, time', async () => {
    const { name, bytes } = await downloadReport(patientBrowser.page, 'CSV');
    expect(name).toMatch(/^access-report-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/);
    const lines = bytes.toString('utf8').split('\r\n');
    expect(lines.at(-1)).toBe('');
    const [header, ...rows] = lines.slice(0, -1).map(parseCsvLine);
    expect(header).toEqual(['accessed_at', 'person', 'role', 'record', 'record_id', 'basis', 'reason', 'audit_seq', 'audit_hash']);
    expect(rows).toHaveLength(1);
    const [accessedAt, person, role, record, , basis, reason, seq, hash] = rows[0];
    expect([person, role, record, basis, reason]).toEqual([doctor.displayName, 'doctor', titleOf(xray), 'consent', 'consented doctor']);
    expect(Date.parse(accessedAt)).toBeGreaterThanOrEqual(readBefore);
    expect(Date.parse(accessedAt)).toBeLessThanOrEqual(readAfter);
    expect(seq).toMatch(/^\d+$/);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('downloads a PDF that parses, with the patient, the period, the doctor’s read and the totals per person', async () => {
    const { name, bytes } = await downloadReport(patientBrowser.page, 'PDF');
    expect(name).toMatch(/\.pdf$/);
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const document = await PDFDocument.load(bytes);
    expect(document.getPageCount()).toBe(1);
    const text = document.getPages().map(pageText).join('\n');
    expect(text).toContain('Access report (accounting of disclosures)');
    expect(text).toContain(`Patient: ${patient.displayName}`);
    expect(text).toMatch(/Period: \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}/);
    expect(text).toMatch(/Generated: \d{4}-\d{2}-\d{2}T/);
    expect(text).toContain('Accesses: 1');
    expect(text).toContain(doctor.displayName);
    expect(text).toContain(titleOf(xray));
    expect(text).toContain('consent');
    expect(text).toContain(`${doctor.displayName} (doctor): 1 access to 1 record`);
  });

  it('downloads the trail and the consents as FHIR R4 bundles: the doctor’s read as IHE BALP PatientRead, the consent naming the doctor', async () => {
    const page = patientBrowser.page;
    const save = async (button: string) => {
      const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByRole('button', { name: button }).click()]);
      return JSON.parse(await readFile(await download.path(), 'utf8')) as { resourceType: string; type: string; entry: Array<{ resource: Record<string, unknown> }> };
    };
    const events = await save('Download FHIR AuditEvents');
    expect([events.resourceType, events.type]).toEqual(['Bundle', 'collection']);
    const reads = events.entry.map((entry) => entry.resource as unknown as FhirAuditEvent).filter((event) => event.meta?.profile?.includes(BALP_PATIENT_READ_PROFILE));
    expect(reads.map((event) => [event.agent[0].who?.display, event.purposeOfEvent?.[0].coding?.[0].code])).toContainEqual([doctor.displayName, 'TREAT']);
    const consents = await save('Download FHIR Consents');
    const [consent] = consents.entry.map((entry) => entry.resource as unknown as FhirConsent);
    expect([consents.entry.length, consent.status, consent.provision?.actor?.[0].reference.display]).toEqual([1, 'active', doctor.displayName]);
  });

  it('files each report made in the patient’s trail', async () => {
    const page = patientBrowser.page;
    await page.getByRole('link', { name: 'Records', exact: true }).click();
    await page.getByRole('link', { name: 'Audit trail' }).click();
    await countOf(page.getByTestId('audit-sentence').filter({ hasText: 'made an access report' }), 2);
  });
});

/** One line of an RFC 4180 CSV whose every cell is quoted. */
function parseCsvLine(line: string): string[] {
  const cells = [...line.matchAll(/"((?:[^"]|"")*)"(?:,|$)/g)].map((match) => match[1].replace(/""/g, '"'));
  expect(cells.map((cell) => `"${cell.replace(/"/g, '""')}"`).join(',')).toBe(line);
  return cells;
}

/**
 * The text a page draws: its content streams decoded, and each string pdf-lib shows (`<hex> Tj`)
 * read in the font chosen before it (`/Name size Tf`): two-byte glyph ids through an embedded
 * font's ToUnicode map, or bytes as WinAnsi (Latin-1 here) for a standard font.
 */
function pageText(page: PDFPage): string {
  const streamText = (stream: PDFRawStream) => Buffer.from(decodePDFRawStream(stream).decode()).toString('latin1');
  const decoders = new Map<string, (hex: string) => string>();
  const fonts = page.node.normalizedEntries().Font;
  for (const [name, ref] of fonts.entries()) {
    const toUnicode = page.doc.context.lookup(ref, PDFDict).lookup(PDFName.of('ToUnicode'));
    if (!(toUnicode instanceof PDFRawStream)) {
      decoders.set(name.toString(), (hex) => Buffer.from(hex, 'hex').toString('latin1'));
      continue;
    }
    const glyphs = new Map([...streamText(toUnicode).matchAll(/<([0-9A-Fa-f]{4})> <([0-9A-Fa-f]+)>/g)].map(([, id, utf16]) => [id.toLowerCase(), Buffer.from(utf16, 'hex').swap16().toString('utf16le')]));
    decoders.set(name.toString(), (hex) => (hex.match(/.{4}/g) ?? []).map((id) => glyphs.get(id.toLowerCase()) ?? '\uFFFD').join(''));
  }
  const contents = page.node.Contents();
  const streams = contents instanceof PDFArray ? contents.asArray().map((ref) => page.doc.context.lookup(ref)) : [contents];
  const shown: string[] = [];
  for (const content of streams.filter((stream): stream is PDFRawStream => stream instanceof PDFRawStream).map(streamText)) {
    let font = '';
    for (const [, chosen, hex] of content.matchAll(/(\/\S+) [\d.]+ Tf|<([0-9A-Fa-f]*)> Tj/g)) {
      if (chosen) font = chosen;
      else shown.push((decoders.get(font) ?? (() => '\uFFFD'))(hex));
    }
  }
  return shown.join('\n');
}
