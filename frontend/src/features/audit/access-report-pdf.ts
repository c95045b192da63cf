/**
 * The access report as PDF (docs/protocol.md "Access report"), made here with pdf-lib: the
 * patient's name, the period, when it was made, one line per access and the totals per person.
 * The standard Helvetica font encodes WinAnsi only: any other character is written as "?" (the
 * CSV keeps the exact text).
 */
import { PDFDocument, StandardFonts, rgb, type PDFFont } from 'pdf-lib';
import type { AccessReportRow } from './access-report-rows.js';
import { basisWithReason, personWord, recordWord, totalsPerPerson } from './access-report-words.js';

export interface AccessReportHeading {
  patientName: string;
  from: string;
  to: string;
  generatedAt: string;
}

const A4: [number, number] = [595.28, 841.89];
const MARGIN = 40;
const LINE = 14;
const SIZE = 9;
/** Left edge of each column of the access lines: time, person, role, record, basis. */
const COLUMNS = [MARGIN, 150, 270, 330, 465];

/** Latin-1 printable text as WinAnsi holds it; typographic quotes made plain, anything else "?". */
export function winAnsiText(text: string): string {
  return text.replace(/[‘’]/g, "'").replace(/[“”]/g, '"').replace(/[–—]/g, '-').replace(/[^\x20-\x7E\xA0-\xFF]/g, '?');
}

export async function accessReportPdf(heading: AccessReportHeading, rows: readonly AccessReportRow[]): Promise<Uint8Array> {
  const document = await PDFDocument.create();
  document.setTitle(winAnsiText(`Access report: ${heading.patientName}`));
  document.setCreationDate(new Date(heading.generatedAt));
  const font = await document.embedFont(StandardFonts.Helvetica);
  const bold = await document.embedFont(StandardFonts.HelveticaBold);
  let page = document.addPage(A4);
  let y = A4[1] - MARGIN;
  const write = (text: string, x: number, width: number, chosen: PDFFont = font, size = SIZE) => {
    page.drawText(fitted(winAnsiText(text), chosen, size, width), { x, y, size, font: chosen, color: rgb(0, 0, 0) });
  };
  const nextLine = (height = LINE) => {
    y -= height;
    if (y < MARGIN) {
      page = document.addPage(A4);
      y = A4[1] - MARGIN;
    }
  };
  write('Access report (accounting of disclosures)', MARGIN, 515, bold, 14);
  nextLine(22);
  for (const line of [`Patient: ${heading.patientName}`, `Period: ${heading.from} to ${heading.to}`, `Generated: ${heading.generatedAt}`, `Accesses: ${rows.length}`]) {
    write(line, MARGIN, 515);
    nextLine();
  }
  nextLine(6);
  writeRow(['Time (UTC)', 'Person', 'Role', 'Record', 'Basis'], bold);
  for (const row of rows) writeRow([row.occurredAt.replace('T', ' ').slice(0, 19), personWord(row), row.actorRole ?? '', recordWord(row), basisWithReason(row)], font);
  if (rows.length === 0) {
    write('Nobody else opened your records in this period.', MARGIN, 515);
    nextLine();
  }
  nextLine(10);
  write('Totals per person', MARGIN, 515, bold, 11);
  nextLine(16);
  for (const total of totalsPerPerson(rows)) {
    write(`${total.person} (${total.role}): ${total.accesses} access${total.accesses === 1 ? '' : 'es'} to ${total.records} record${total.records === 1 ? '' : 's'}`, MARGIN, 515);
    nextLine();
  }
  return document.save({ useObjectStreams: false });

  function writeRow(cells: string[], chosen: PDFFont): void {
    cells.forEach((cell, index) => write(cell, COLUMNS[index], (COLUMNS[index + 1] ?? A4[0] - MARGIN) - COLUMNS[index] - 6, chosen));
    nextLine();
  }
}

/** The text cut, with an ellipsis mark, to fit the width. */
function fitted(text: string, font: PDFFont, size: number, width: number): string {
  if (font.widthOfTextAtSize(text, size) <= width) return text;
  let cut = text;
  while (cut.length > 1 && font.widthOfTextAtSize(`${cut}...`, size) > width) cut = cut.slice(0, -1);
  return `${cut}...`;
}

