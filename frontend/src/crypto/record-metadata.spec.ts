import { describe, expect, it } from '@jest/globals';
import { LEGACY_CATEGORY_LABELS, MAX_METADATA_CHARS, RECORD_CATEGORIES, type RecordMetadata } from '@phr/shared-types';
import { newFileKey, openMetadata, sealMetadata } from './record-keys.js';
import { decodeRecordMetadata, encodeRecordMetadata, MAX_METADATA_JSON_BYTES } from './record-metadata.js';
import { seal } from './sealed.js';

const RECORD = '5b4c3f0e-6c1d-4f3e-9a2b-1c0d9e8f7a6b';
const GOOD: RecordMetadata = { fileName: 'blood-test.pdf', mimeType: 'application/pdf', title: 'Blood test', date: '2026-11-02', category: 'lab-result', notes: 'fasting' };
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('the record metadata document (docs/protocol.md "Record metadata")', () => {
  it('is written as UTF-8 JSON with the six fields in the schema’s order, nothing else', () => {
    const extra = { ...GOOD, secret: 'x' } as RecordMetadata;
    expect(new TextDecoder().decode(encodeRecordMetadata(extra))).toBe(
      '{"fileName":"blood-test.pdf","mimeType":"application/pdf","title":"Blood test","date":"2026-11-02","category":"lab-result","notes":"fasting"}',
    );
  });

  it.each([
    ['fileName', { fileName: '' }],
    ['fileName', { fileName: 'x'.repeat(256) }],
    ['mimeType', { mimeType: '' }],
    ['mimeType', { mimeType: 'pdf' }],
    ['mimeType', { mimeType: 'text/plain; charset=utf-8' }],
    ['title', { title: '' }],
    ['title', { title: 't'.repeat(256) }],
    ['date', { date: '2026-02-30' }],
    ['date', { date: '02.11.2026' }],
    ['category', { category: 'Lab result' }],
    ['notes', { notes: 'n'.repeat(2001) }],
    ['fileName', { fileName: 7 }],
  ])('refuses to write a document whose %s breaks the schema (%j)', (field, change) => {
    expect(() => encodeRecordMetadata({ ...GOOD, ...change } as RecordMetadata)).toThrow(expect.objectContaining({ code: 'METADATA_INVALID', message: expect.stringContaining(field) }));
  });

  it('takes the largest fields and still fits the API’s limit once sealed', async () => {
    const { key } = await newFileKey();
    const largest: RecordMetadata = { ...GOOD, fileName: 'f'.repeat(255), mimeType: `${'a'.repeat(127)}/${'b'.repeat(127)}`, title: 't'.repeat(255), notes: 'n'.repeat(2000) };
    expect((await sealMetadata(key, RECORD, largest)).length).toBeLessThanOrEqual(MAX_METADATA_CHARS);
    // Characters that JSON escapes to six bytes each can pass every field's limit and still be too large: the total is checked too.
    expect(() => encodeRecordMetadata({ ...GOOD, notes: '\u0001'.repeat(2000), title: '\u0001'.repeat(255), fileName: '\u0001'.repeat(255) })).toThrow(
      expect.objectContaining({ code: 'METADATA_INVALID', message: expect.stringContaining('12259 bytes') }),
    );
    expect(MAX_METADATA_JSON_BYTES).toBe(12_259);
  });

  it('reads the English labels the portal once stored as their codes', () => {
    expect(Object.keys(LEGACY_CATEGORY_LABELS)).toEqual(['Lab result', 'Imaging', 'Prescription', 'Letter', 'Vaccination', 'Other']);
    for (const [label, code] of Object.entries(LEGACY_CATEGORY_LABELS)) {
      expect(decodeRecordMetadata(json({ ...GOOD, category: label })).category).toBe(code);
    }
    for (const code of RECORD_CATEGORIES) expect(decodeRecordMetadata(json({ ...GOOD, category: code })).category).toBe(code);
  });

  it('reads a category it does not know as other, a missing field as empty, and ignores fields it does not know', () => {
    expect(decodeRecordMetadata(json({ ...GOOD, category: 'dental', extra: 1 }))).toEqual({ ...GOOD, category: 'other' });
    expect(decodeRecordMetadata(json({ fileName: 'a.pdf' }))).toEqual({ fileName: 'a.pdf', mimeType: '', title: '', date: '', category: 'other', notes: '' });
  });

  it.each([
    ['an array', json([GOOD])],
    ['a string', json('x')],
    ['a field that is not a string', json({ ...GOOD, title: 5 })],
    ['not JSON', new TextEncoder().encode('{fileName:')],
    ['not UTF-8', Uint8Array.of(0x7b, 0xff, 0x7d)],
  ])('refuses to read %s', (_case, bytes) => {
    expect(() => decodeRecordMetadata(bytes)).toThrow(expect.objectContaining({ code: 'METADATA_INVALID' }));
  });

  it('opens a document an older portal sealed with a label', async () => {
    const { key } = await newFileKey();
    const sealed = await seal(key, json({ ...GOOD, category: 'Imaging' }), `phr/v1/metadata|${RECORD}`);
    expect(await openMetadata(key, RECORD, sealed)).toEqual({ ...GOOD, category: 'imaging' });
  });
});
