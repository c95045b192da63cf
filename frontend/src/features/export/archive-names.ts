/**
 * Names inside the export archive. File and folder names come from the
 * patient's own (decrypted) metadata, which anything could have written, so
 * each becomes one safe path segment: no separators, no `.`/`..`, no control
 * or bidirectional-override characters, nothing Windows refuses; and every
 * name in a folder is unique, ignoring case (`scan.pdf`, `scan (2).pdf`), so
 * no file overwrites another when the archive is unpacked.
 */

/** Bytes of UTF-8 a segment may take (most file systems allow 255). */
const MAX_SEGMENT_BYTES = 200;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f<>:"/\\|?*\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;
const WINDOWS_DEVICE_NAMES = /^(con|prn|aux|nul|com\d|lpt\d)$/i;

function splitExtension(name: string): { stem: string; extension: string } {
  const dot = name.lastIndexOf('.');
  // ".bashrc" has no extension; an "extension" with spaces or of 16+ characters is part of the name.
  if (dot <= 0 || name.length - dot > 16 || /\s/.test(name.slice(dot))) return { stem: name, extension: '' };
  return { stem: name.slice(0, dot), extension: name.slice(dot) };
}

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** Cuts whole code points off the end until the text fits. */
function truncateUtf8(text: string, maxBytes: number): string {
  const codePoints = Array.from(text);
  while (codePoints.length > 0 && utf8Length(codePoints.join('')) > maxBytes) codePoints.pop();
  return codePoints.join('');
}

/** One path segment that is safe on every common file system; `fallback` when nothing of the name is left. */
export function safeSegment(name: string, fallback: string): string {
  let safe = name.normalize('NFC').replace(UNSAFE_CHARACTERS, '_');
  // Windows drops trailing dots and spaces; leading ones hide files or read as "..".
  // eslint-disable-next-line sonarjs/super-linear-regex -- the patient's own decrypted names in the patient's own browser: a slow name slows only their own export
  safe = safe.replace(/^[\s.]+|[\s.]+$/g, '');
  if (safe === '') safe = fallback;
  const { stem, extension } = splitExtension(safe);
  if (WINDOWS_DEVICE_NAMES.test(stem)) safe = `_${safe}`;
  if (utf8Length(safe) > MAX_SEGMENT_BYTES) {
    const ext = utf8Length(extension) < MAX_SEGMENT_BYTES / 2 ? extension : '';
    // eslint-disable-next-line sonarjs/super-linear-regex -- applied after truncateUtf8 to MAX_SEGMENT_BYTES, so the input is short
    safe = truncateUtf8(ext ? stem : safe, MAX_SEGMENT_BYTES - utf8Length(ext)).replace(/[\s.]+$/, '') + ext;
  }
  return safe;
}

/** Hands out names unique within one folder of the archive: `name`, `name (2)`, `name (3)`, … */
export class UniqueNames {
  private readonly taken = new Set<string>();

  claim(name: string): string {
    const { stem, extension } = splitExtension(name);
    for (let copy = 1; ; copy++) {
      const candidate = copy === 1 ? name : `${stem} (${copy})${extension}`;
      const key = candidate.toLocaleLowerCase('en-US');
      if (!this.taken.has(key)) {
        this.taken.add(key);
        return candidate;
      }
    }
  }
}
