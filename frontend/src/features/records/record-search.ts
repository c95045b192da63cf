/**
 * Search and sort of a patient's records, in the browser over their decrypted
 * metadata (the server holds it sealed and can do neither: docs/protocol.md
 * "Organising records"). Pure functions, so the records page and its tests
 * share one rule.
 */
import type { RecordMetadata } from '@phr/shared-types';
import { CATEGORY_LABELS } from './format.js';

export const RECORD_SORTS = ['added', 'date', 'title', 'category'] as const;
export type RecordSort = (typeof RECORD_SORTS)[number];

export const SORT_LABELS: Readonly<Record<RecordSort, string>> = {
  added: 'Newest added',
  date: 'Date of the record',
  title: 'Title',
  category: 'Category',
};

/** What search and sort need of a listed record: when it was added, and its metadata when it opened. */
export interface Searchable {
  createdAt: string;
  metadata: RecordMetadata | null;
}

/** Whether every word of the query is in the title, file name, category label, notes or date (case and accents ignored). */
export function matchesSearch(metadata: RecordMetadata, query: string): boolean {
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const text = fold([metadata.title, metadata.fileName, CATEGORY_LABELS[metadata.category] ?? '', metadata.notes, metadata.date].join(' '));
  return words.every((word) => text.includes(word));
}

/**
 * The records that match `query`, in `sort` order: newest added first; the record's own date
 * newest first (undated last); title and category alphabetically. Records whose metadata did
 * not open are kept, unsorted, at the end while no query is given (their error shows), and left
 * out of a search (nothing of them can match).
 */
export function searchAndSort<T extends Searchable>(rows: readonly T[], query: string, sort: RecordSort): T[] {
  const opened = rows.filter((row) => row.metadata !== null && matchesSearch(row.metadata, query));
  const unopened = query.trim() ? [] : rows.filter((row) => row.metadata === null);
  const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });
  const compare: Record<RecordSort, (a: RecordMetadata, b: RecordMetadata) => number> = {
    added: () => 0,
    date: (a, b) => (a.date === b.date ? 0 : a.date === '' ? 1 : b.date === '' ? -1 : b.date.localeCompare(a.date)),
    title: (a, b) => collator.compare(a.title, b.title),
    category: (a, b) => collator.compare(CATEGORY_LABELS[a.category], CATEGORY_LABELS[b.category]),
  };
  const sorted = [...opened].sort((a, b) => compare[sort](a.metadata as RecordMetadata, b.metadata as RecordMetadata) || b.createdAt.localeCompare(a.createdAt));
  return [...sorted, ...unopened];
}

function fold(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}
