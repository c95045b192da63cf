import { describe, expect, it } from '@jest/globals';
import type { RecordMetadata } from '@phr/shared-types';
import { matchesSearch, searchAndSort, type Searchable } from './record-search.js';

const metadata = (title: string, date: string, category: RecordMetadata['category'], notes = ''): RecordMetadata => ({
  fileName: `${title}.pdf`,
  mimeType: 'application/pdf',
  title,
  date,
  category,
  notes,
});
const row = (createdAt: string, meta: RecordMetadata | null): Searchable & { id: string } => ({ id: meta?.title ?? 'unopened', createdAt, metadata: meta });

const rows = [
  row('2026-01-03T00:00:00Z', metadata('Blood test', '2025-11-02', 'lab-result', 'fasting glucose')),
  row('2026-01-02T00:00:00Z', metadata('Ärztlicher Brief', '', 'letter')),
  row('2026-01-04T00:00:00Z', metadata('Chest X-ray', '2025-12-24', 'imaging')),
  row('2026-01-01T00:00:00Z', null),
];

describe('searching and sorting records over their decrypted metadata', () => {
  it('matches every word in title, file name, category label, notes and date, ignoring case and accents', () => {
    const [blood, letter] = rows.map((r) => r.metadata as RecordMetadata);
    expect(matchesSearch(blood, 'GLUCOSE blood')).toBe(true);
    expect(matchesSearch(blood, 'lab result')).toBe(true);
    expect(matchesSearch(blood, '2025-11')).toBe(true);
    expect(matchesSearch(blood, 'blood x-ray')).toBe(false);
    expect(matchesSearch(letter, 'arztlicher')).toBe(true);
  });

  it('sorts by when added, by the record’s date (undated last), by title and by category', () => {
    expect(searchAndSort(rows, '', 'added').map((r) => r.id)).toEqual(['Chest X-ray', 'Blood test', 'Ärztlicher Brief', 'unopened']);
    expect(searchAndSort(rows, '', 'date').map((r) => r.id)).toEqual(['Chest X-ray', 'Blood test', 'Ärztlicher Brief', 'unopened']);
    expect(searchAndSort(rows, '', 'title').map((r) => r.id)).toEqual(['Ärztlicher Brief', 'Blood test', 'Chest X-ray', 'unopened']);
    expect(searchAndSort(rows, '', 'category').map((r) => r.id)).toEqual(['Chest X-ray', 'Blood test', 'Ärztlicher Brief', 'unopened']);
  });

  it('leaves records that did not open out of a search', () => {
    expect(searchAndSort(rows, 'brief', 'added').map((r) => r.id)).toEqual(['Ärztlicher Brief']);
  });
});
