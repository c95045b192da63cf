/**
 * How the API tells a database that is down, frozen or overloaded (answer 503,
 * try again) and a conflict between transactions (retry at once) from
 * everything else (a bug: 500). node-postgres raises PostgreSQL's SQLSTATE as
 * `code`, Node's socket errors as `code` too, and its own timeouts as plain
 * messages; TypeORM wraps query errors and keeps the original as `driverError`.
 */
import { QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';

/** SQLSTATEs of a transaction that lost a race and can simply run again. */
const CONFLICT_STATES = new Set([
  '40P01', // deadlock_detected
  '40001', // serialization_failure
]);

/** SQLSTATEs of a server that is busy or short of something, on a connection that still works. */
const BUSY_STATES = new Set([
  '53300', // too_many_connections
  '53100', // disk_full
  '53200', // out_of_memory
  '57014', // query_canceled: our statement_timeout
  '55P03', // lock_not_available: our lock_timeout
]);

/** SQLSTATEs and socket codes after which the connection itself is gone or in an unknown state. */
const BROKEN_CONNECTION_CODES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, recovering)
  '25P03', // idle_in_transaction_session_timeout
  // read_only_sql_transaction: the server no longer takes writes (a primary demoted by a failover,
  // db/primary-locator.ts); any transaction of the API may write (audit rows), so the connection is of no use.
  '25006',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

/** node-postgres's own messages for a connection that is gone, never came, or did not answer in time. */
const BROKEN_CONNECTION_MESSAGES = [
  'Connection terminated',
  'Query read timeout',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Connection terminated unexpectedly',
  'terminating connection',
];

function codesOf(error: unknown): string[] {
  const candidate = error as { code?: unknown; driverError?: { code?: unknown } } | null | undefined;
  return [candidate?.code, candidate?.driverError?.code].filter((code): code is string => typeof code === 'string');
}

function messagesOf(error: unknown): string[] {
  const candidate = error as { message?: unknown; driverError?: { message?: unknown } } | null | undefined;
  return [candidate?.message, candidate?.driverError?.message].filter((message): message is string => typeof message === 'string');
}

export function isTransactionConflict(error: unknown): boolean {
  return codesOf(error).some((code) => CONFLICT_STATES.has(code));
}

/**
 * Whether the connection that saw this error must not go back to the pool: it
 * broke, or a query timed out on our side and may still be running on it.
 */
export function isConnectionSpoiled(error: unknown): boolean {
  // TypeORM releases a transaction's query runner when its connection fails between two statements
  // (the server died: pg emits 'error'), and the next statement throws one of these instead of the
  // cause (through the runner, or through its entity manager).
  if (error instanceof QueryRunnerAlreadyReleasedError || error instanceof QueryRunnerProviderAlreadyReleasedError) return true;
  if (codesOf(error).some((code) => BROKEN_CONNECTION_CODES.has(code) || code.startsWith('08'))) return true;
  return messagesOf(error).some((text) => BROKEN_CONNECTION_MESSAGES.some((known) => text.includes(known)));
}

/** The reason the database could not serve, or null when the error is something else. */
export function databaseUnavailableReason(error: unknown): string | null {
  const code = codesOf(error).find((candidate) => BUSY_STATES.has(candidate) || BROKEN_CONNECTION_CODES.has(candidate) || candidate.startsWith('08'));
  if (code) return code;
  return isConnectionSpoiled(error) ? 'connection lost or timed out' : null;
}

/** The insert hit a unique index (23505): the callers turn it into their own 400 or 409. */
export function isUniqueViolation(error: unknown): boolean {
  return codesOf(error).includes('23505');
}
