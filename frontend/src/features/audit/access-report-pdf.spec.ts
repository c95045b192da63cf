import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from '@jest/globals';
import fontkit from '@pdf-lib/fontkit';
import { PDFDocument } from 'pdf-lib';
import { printableText } from './access-report-pdf.js';

/** The characters of the report's font (pdf-font.ts), read from the same package the portal bundles. */
async function reportFontCharacters(): Promise<ReadonlySet<number>> {
  const document = await PDFDocument.create();
  document.registerFontkit(fontkit);
  const path = createRequire(import.meta.url).resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
  const font = await document.embedFont(await readFile(path), { subset: true });
  return new Set(font.getCharacterSet());
}

describe('the PDF access report’s text', () => {
  let characters: ReadonlySet<number>;
  beforeAll(async () => {
    characters = await reportFontCharacters();
  });

  it('prints Latin, Greek and Cyrillic names as typed, typographic marks included', () => {
    expect(printableText('Łukasz Wójcik, Zoë O’Brien – “scan”', characters)).toBe('Łukasz Wójcik, Zoë O’Brien – “scan”');
    expect(printableText('Ωmega Παπαδόπουλος, Иван Петров, Şükrü Çelik, Nguyễn Văn', characters)).toBe('Ωmega Παπαδόπουλος, Иван Петров, Şükrü Çelik, Nguyễn Văn');
  });

  it('composes a letter typed with a combining accent into the one character', () => {
    expect(printableText('Zoe\u0308', characters)).toBe('Zoë');
  });

  it('prints "?" for characters the font lacks, right-to-left letters, and controls', () => {
    expect(printableText('日本 🙂', characters)).toBe('?? ?');
    expect(printableText('שלום سلام', characters)).toBe('???? ????');
    expect(printableText('a\nb\tc\u202Ed\u0085', characters)).toBe('a?b?c?d?');
  });
});
