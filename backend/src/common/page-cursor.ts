import { ApiError } from './api-error.js';

/**
 * The one codec of the opaque page cursors this API issues: the sort key of
 * the last row of a page, as a JSON array in base64url. A cursor is client
 * input: a member PostgreSQL would refuse must be a 400, never a database
 * error (found by fuzzing, backend/test/fuzz.spec.ts), so each reader checks
 * every member with the checks below.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** A member of a cursor: what a sort key holds. */
type CursorMember = string | number;

export function encodeCursorMembers(members: readonly CursorMember[]): string {
  return Buffer.from(JSON.stringify(members)).toString('base64url');
}

/** The cursor's members as `read` accepts them; anything else (not JSON, not an array, a member refused) is a 400. */
export function decodeCursorMembers<T>(cursor: string, read: (members: readonly unknown[]) => T | null): T {
  try {
    const members: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const value = Array.isArray(members) ? read(members) : null;
    if (value !== null) return value;
  } catch {
    // fall through
  }
  throw ApiError.validation([{ field: 'cursor', message: 'cursor is not a cursor this API issued' }]);
}

/** The cursor of a page ordered by (a time, a uuid): records by (created_at, id), clinicians by (requested_at, user_id). */
export function encodeCursor(time: Date, id: string): string {
  return encodeCursorMembers([time.toISOString(), id]);
}

export function decodeCursor(cursor: string): { createdAt: string; id: string } {
  return decodeCursorMembers(cursor, ([createdAt, id]) => (isIssuedTime(createdAt) && isUuid(id) ? { createdAt, id } : null));
}

/**
 * A time as `Date.toISOString` writes it, in a year PostgreSQL holds.
 * `Date.parse` alone also takes "1", "Jan 1" or year 275760.
 */
export function isIssuedTime(value: unknown): value is string {
  if (typeof value !== 'string' || !ISO_TIME.test(value) || value.startsWith('0000')) return false;
  const time = Date.parse(value);
  return !Number.isNaN(time) && new Date(time).toISOString() === value;
}

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** A row number that fits PostgreSQL's bigint and survives JSON. */
export function isSequenceNumber(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}
