/**
 * Checks for the members of the page cursors this API issues. A cursor is
 * client input: a member PostgreSQL would refuse must be a 400, never a
 * database error (found by fuzzing, backend/test/fuzz.spec.ts).
 */

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

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
