/**
 * The access report as PDF (docs/protocol.md "Access report"), made here with pdf-lib: the
 * patient's name, the period, when it was made, one line per access and the totals per person.
 * Text that people wrote (names, record titles, reasons) and the dates are drawn in DejaVu Sans
 * (pdf-font.ts), so Latin, Greek and Cyrillic letters print as typed; a character the font
 * lacks, a control character, and the right-to-left scripts (pdf-lib lays text out left to
 * right, so they would print backwards) print as "?". The CSV keeps the exact text. The report's
 * own headings are in Helvetica Bold, which encodes WinAnsi only.
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

/** Hebrew, Arabic, Syriac, Thaana, N'Ko, Samaritan, Mandaic and their presentation forms. */
const RIGHT_TO_LEFT = /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]/u;
/** Line and paragraph separators and bidirectional controls (C0 and C1 controls are told by their code). */
const FORMAT_CONTROL = /[\u2028\u2029\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;

function isControl(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code < 0xa0);
}

/**
 * The text as `characters` (the code points a font draws) can print it: composed first (NFC),
 * so that a letter typed with a combining accent becomes the one glyph; any other character,
 * controls and right-to-left letters "?".
 */
export function printableText(text: string, characters: ReadonlySet<number>): string {
  let printable = '';
  for (const character of text.normalize('NFC')) {
    const code = character.codePointAt(0) ?? 0;
    const isDrawn = characters.has(code) && !isControl(code) && !RIGHT_TO_LEFT.test(character) && !FORMAT_CONTROL.test(character);
    printable += isDrawn ? character : '?';
  }
  return printable;
}

export async function accessReportPdf(heading: AccessReportHeading, rows: readonly AccessReportRow[]): Promise<Uint8Array> {
  const document = await PDFDocument.create();
  // The title is metadata (UTF-16 in the PDF): the name as typed.
  document.setTitle(`Access report: ${heading.patientName}`);
  document.setCreationDate(new Date(heading.generatedAt));
  const { embedReportFont } = await import('./pdf-font.js');
  const font = await embedReportFont(document);
  const drawn = new Set(font.getCharacterSet());
  const bold = await document.embedFont(StandardFonts.HelveticaBold);
  let page = document.addPage(A4);
  let y = A4[1] - MARGIN;
  const write = (text: string, x: number, width: number, chosen: PDFFont = font, size = SIZE) => {
    const printable = chosen === bold ? winAnsiText(text) : printableText(text, drawn);
    page.drawText(fitted(printable, chosen, size, width), { x, y, size, font: chosen, color: rgb(0, 0, 0) });
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
  // By code point, so a character outside the Basic Multilingual Plane is never cut in half.
  const characters = Array.from(text);
  while (characters.length > 1 && font.widthOfTextAtSize(`${characters.join('')}...`, size) > width) characters.pop();
  return `${characters.join('')}...`;
}

