import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { safeSegment, UniqueNames } from './archive-names.js';

describe('names in the export archive', () => {
  it('keep an ordinary name as it is', () => {
    expect(safeSegment('Blood test 2026-03.pdf', 'file')).toBe('Blood test 2026-03.pdf');
    expect(safeSegment('Röntgen Knie.jpg', 'file')).toBe('Röntgen Knie.jpg');
  });

  it('never leave a path separator, a dot segment, a control or bidi character, or a Windows device name', () => {
    expect(safeSegment('../../etc/passwd', 'file')).toBe('_.._etc_passwd');
    expect(safeSegment('..', 'file')).toBe('file');
    expect(safeSegment('a\\b:c\u0000d\u202egpj.exe', 'file')).toBe('a_b_c_d_gpj.exe');
    expect(safeSegment('CON.txt', 'file')).toBe('_CON.txt');
    expect(safeSegment('   ', 'folder')).toBe('folder');
  });

  it('are single safe segments of bounded length for any input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (name) => {
        const safe = safeSegment(name, 'file');
        expect(safe.length).toBeGreaterThan(0);
        // eslint-disable-next-line no-control-regex -- the test looks for control characters
        expect(safe).not.toMatch(/[/\\\u0000-\u001f<>:"|?*\u202a-\u202e]/);
        expect(safe).not.toMatch(/^[\s.]|[\s.]$/);
        expect(new TextEncoder().encode(safe).length).toBeLessThanOrEqual(200);
      }),
      { numRuns: 500 },
    );
  });

  it('keep the extension when a long name is shortened', () => {
    const safe = safeSegment(`${'ä'.repeat(300)}.pdf`, 'file');
    expect(safe.endsWith('.pdf')).toBe(true);
    expect(new TextEncoder().encode(safe).length).toBeLessThanOrEqual(200);
  });

  it('number repeated names before the extension, ignoring case', () => {
    const names = new UniqueNames();
    expect(['scan.pdf', 'scan.pdf', 'SCAN.pdf', 'scan (2).pdf', 'notes'].map((name) => names.claim(name))).toEqual([
      'scan.pdf',
      'scan (2).pdf',
      'SCAN (3).pdf',
      'scan (2) (2).pdf',
      'notes',
    ]);
  });
});
