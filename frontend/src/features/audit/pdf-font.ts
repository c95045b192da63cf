/**
 * The access report's font for text that people wrote (names, record titles, reasons): DejaVu
 * Sans, which has Latin, Greek and Cyrillic letters that the standard PDF fonts lack. It comes
 * from the portal's own assets (the dejavu-fonts-ttf package, bundled by Vite), is fetched only
 * when a PDF is made, and is embedded with only the glyphs the report uses (fontkit's subset),
 * so a report stays a few tens of kilobytes.
 */
import fontkit from '@pdf-lib/fontkit';
import type { PDFDocument, PDFFont } from 'pdf-lib';
import dejaVuSansUrl from 'dejavu-fonts-ttf/ttf/DejaVuSans.ttf?url';

export async function embedReportFont(document: PDFDocument): Promise<PDFFont> {
  const response = await fetch(dejaVuSansUrl);
  if (!response.ok) throw new Error(`The report’s font did not load (HTTP ${response.status}); try again`);
  document.registerFontkit(fontkit);
  return document.embedFont(await response.arrayBuffer(), { subset: true });
}
