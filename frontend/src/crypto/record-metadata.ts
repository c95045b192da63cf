/**
 * The record metadata document (DESIGN 4.3; docs/protocol.md "Record
 * metadata"): one UTF-8 JSON object sealed under the file key. The writer
 * checks every field against the schema; the reader is lenient where records
 * already exist: a missing field reads as "", an English category label that
 * the portal once stored reads as its code, and a category it does not know
 * reads as `other`.
 */
import {
  AES_GCM_IV_BYTES,
  LEGACY_CATEGORY_LABELS,
  MAX_METADATA_CHARS,
  RECORD_CATEGORIES,
  RECORD_METADATA_LIMITS,
  type RecordCategory,
  type RecordMetadata,
} from '@phr/shared-types';
import { CryptoError } from './errors.js';

const TAG_BYTES = 16;
/** The largest JSON document whose sealed blob still fits the API's limit (version byte, IV and tag around it). */
export const MAX_METADATA_JSON_BYTES = Math.floor((MAX_METADATA_CHARS * 3) / 4) - 1 - AES_GCM_IV_BYTES - TAG_BYTES;

/** RFC 6838 `type/subtype`, restricted-name characters only. */
const MIME_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TEXT_FIELDS = ['fileName', 'mimeType', 'title', 'date', 'notes'] as const;

/** Whether the schema takes `text` as a media type. */
export function isMediaType(text: string): boolean {
  return text.length <= RECORD_METADATA_LIMITS.mimeType && MIME_TYPE.test(text);
}

export function isRecordCategory(value: unknown): value is RecordCategory {
  return typeof value === 'string' && (RECORD_CATEGORIES as readonly string[]).includes(value);
}

/** A category as stored, old labels included, as its code. */
export function categoryCode(value: unknown): RecordCategory {
  if (isRecordCategory(value)) return value;
  if (typeof value === 'string' && Object.hasOwn(LEGACY_CATEGORY_LABELS, value)) return LEGACY_CATEGORY_LABELS[value];
  return 'other';
}

function isCalendarDate(text: string): boolean {
  const match = DATE.exec(text);
  if (!match) return false;
  const [year, month, day] = match.slice(1).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function invalid(field: string, rule: string): CryptoError {
  return new CryptoError('METADATA_INVALID', `The record's ${field} ${rule}`);
}

/** The document's bytes, fields in the schema's order; throws METADATA_INVALID naming the first field that breaks the schema. */
export function encodeRecordMetadata(metadata: RecordMetadata): Uint8Array<ArrayBuffer> {
  const { fileName, mimeType, title, date, category, notes } = metadata;
  for (const field of TEXT_FIELDS) if (typeof metadata[field] !== 'string') throw invalid(field, 'must be a string');
  if (fileName.length < 1 || fileName.length > RECORD_METADATA_LIMITS.fileName) throw invalid('fileName', `must be 1 to ${RECORD_METADATA_LIMITS.fileName} characters`);
  if (!isMediaType(mimeType)) throw invalid('mimeType', 'must be a media type such as application/pdf');
  if (title.length < 1 || title.length > RECORD_METADATA_LIMITS.title) throw invalid('title', `must be 1 to ${RECORD_METADATA_LIMITS.title} characters`);
  if (date !== '' && !isCalendarDate(date)) throw invalid('date', 'must be a date as YYYY-MM-DD, or empty');
  if (!isRecordCategory(category)) throw invalid('category', `must be one of ${RECORD_CATEGORIES.join(', ')}`);
  if (notes.length > RECORD_METADATA_LIMITS.notes) throw invalid('notes', `must be at most ${RECORD_METADATA_LIMITS.notes} characters`);
  const bytes = new TextEncoder().encode(JSON.stringify({ fileName, mimeType, title, date, category, notes }));
  if (bytes.length > MAX_METADATA_JSON_BYTES) throw invalid('metadata', `must be at most ${MAX_METADATA_JSON_BYTES} bytes as JSON`);
  return bytes;
}

/** Reads a document any version-1 writer made; throws METADATA_INVALID only for one that is not a JSON object of strings. */
export function decodeRecordMetadata(bytes: Uint8Array): RecordMetadata {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw invalid('metadata', 'is not UTF-8 JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid('metadata', 'is not a JSON object');
  const fields = parsed as Record<string, unknown>;
  const text = (field: (typeof TEXT_FIELDS)[number]): string => {
    const value = fields[field];
    if (value === undefined) return '';
    if (typeof value !== 'string') throw invalid(field, 'is not a string');
    return value;
  };
  return { fileName: text('fileName'), mimeType: text('mimeType'), title: text('title'), date: text('date'), category: categoryCode(fields.category), notes: text('notes') };
}
