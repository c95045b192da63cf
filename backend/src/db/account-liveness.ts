import type { Writable } from 'node:stream';
import { escapeLiteral } from 'pg';
import type { QueryRunner } from 'typeorm';
import type { Role } from '@phr/shared-types';
import { ApiError } from '../common/api-error.js';
import type { AuthUser } from '../identity/auth-user.js';
import type { Db } from './db.service.js';
import type { Actor } from './request-context.js';

/**
 * A signed access token is valid for up to 15 minutes; an account erased (or
 * whose role changed) in that time must lose access at once, and so must a
 * session the user ended (sign-out, "End session", password change: ASVS
 * 3.3.4). Runs inside the request's transaction, under the caller's RLS
 * context, which shows a user only their own rows.
 */
export async function assertAccountExists(db: Db, user: AuthUser): Promise<void> {
  const [row] = await db.manager().query<LivenessRow[]>(
    `SELECT role AS account_role, EXISTS (SELECT 1 FROM refresh_tokens WHERE family_id = $1 AND revoked_at IS NULL) AS is_session_live
       FROM users WHERE id = app_user_id()`,
    [user.sessionId ?? null],
  );
  assertLive(row, user);
}

/**
 * Opens a transaction under `actor` (issue 14): its START TRANSACTION (TypeORM's
 * startTransaction's, or the same message and state changes without it: isPlainStart) also carries app_start_request
 * (migration 1765730000000), which sets the RLS context and, when `caller` is given, refuses
 * unless its account and session are still live, as assertAccountExists checks. Several
 * statements in one message is PostgreSQL's simple query protocol, which takes no parameters:
 * the values go as literals, quoted by node-postgres (ids the token's claims rules checked, and
 * a role from a fixed list).
 *
 * With `isPipelined` (node-postgres pipeline mode, statements sent straight to the connection)
 * it answers as soon as the message is on its way, so the work's first statement follows in the
 * same round trip; PostgreSQL runs them in order, and if the start fails the statements behind
 * it fail too (the transaction is aborted). `started` settles with the start's own answer: the
 * caller awaits it before it commits, and prefers its error to any other. The connection's
 * socket is corked until the microtasks under way have run, as Node's http corks a response:
 * a first statement the work sends without waiting on anything else goes out in the same write
 * as the start, and wakes PostgreSQL once instead of twice (a doctor's read, a listing).
 */
export async function beginAs(queryRunner: QueryRunner, actor: Actor, caller: AuthUser | null, mode: RunnerMode): Promise<{ started: Promise<void> }> {
  const start = `SELECT app_start_request(${sqlLiteral(actor.userId)}, ${sqlLiteral(actor.role)}, ${sqlLiteral(caller?.sessionId ?? null)})`;
  const { isPipelined } = mode;
  if (isPipelined) corkUntilNextTick(queryRunner);
  let markSent = (): void => undefined;
  const sent = new Promise<void>((resolve) => (markSent = resolve));
  const message = `START TRANSACTION; ${start}`;
  const starting = isPlainStart(queryRunner, mode) ? startDirectly(queryRunner, message, markSent) : inOneMessage(queryRunner, 'START TRANSACTION', message, () => queryRunner.startTransaction(), markSent);
  const started = starting.catch((error: unknown) => {
    const refusal = (error as { driverError?: { code?: string; message?: string } }).driverError;
    if (caller && refusal?.code === INVALID_AUTHORIZATION) {
      throw ApiError.unauthenticated(refusal.message === 'session' ? SESSION_ENDED : ACCOUNT_GONE);
    }
    throw error;
  });
  // Handled where it is awaited; this keeps a failure that the work's own error comes first from counting as unhandled meanwhile.
  started.catch(() => undefined);
  await (isPipelined ? Promise.race([sent, started]) : started);
  return { started };
}

/** Holds the writes of the runner's pg connection until the current tick's microtasks have run (Writable.cork; uncorked on process.nextTick). */
function corkUntilNextTick(queryRunner: QueryRunner): void {
  const socket = (queryRunner as QueryRunner & { databaseConnection?: { connection?: { stream?: Writable } } }).databaseConnection?.connection?.stream;
  if (!socket) return;
  socket.cork();
  process.nextTick(() => socket.uncork());
}

/**
 * Commits the transaction with `statements` (each complete, values as literals) in the same
 * message as COMMIT (issue 14: the audit rows of a request, one round trip fewer). A statement
 * that fails leaves the transaction aborted and the COMMIT unsent, as if sent alone; the
 * caller rolls back.
 */
export async function commitWith(queryRunner: QueryRunner, statements: readonly string[], mode: Pick<RunnerMode, 'isDirect'>): Promise<void> {
  const message = statements.length === 0 ? 'COMMIT' : `${statements.join('; ')}; COMMIT`;
  if (isPlainCommit(queryRunner, mode)) await commitDirectly(queryRunner, message);
  else if (statements.length === 0) await queryRunner.commitTransaction();
  else await inOneMessage(queryRunner, 'COMMIT', message, () => queryRunner.commitTransaction());
}

/** How Db runs its runner: straight to its pg connection (no subscribers: Db.mayQueryDirectly), and pipelined. */
export interface RunnerMode {
  isDirect: boolean;
  isPipelined: boolean;
}

/** TypeORM's transaction state of a runner (BaseQueryRunner: `transactionDepth` is protected). */
type TransactionState = { isTransactionActive: boolean; transactionDepth: number };

/**
 * Whether a transaction may start without TypeORM's startTransaction (issue 14): on a runner
 * that queries directly (no subscribers to tell), outside any transaction, with no isolation
 * level to set. startTransaction would send the same message and make the same state changes,
 * around two broadcasts to subscribers, each a few promises and microtask turns per request.
 */
function isPlainStart(queryRunner: QueryRunner, { isDirect }: Pick<RunnerMode, 'isDirect'>): boolean {
  const state = queryRunner as unknown as TransactionState;
  return isDirect && !state.isTransactionActive && state.transactionDepth === 0 && !queryRunner.dataSource.options.isolationLevel;
}

/** The same for a commit: an outermost transaction (no savepoint to release). */
function isPlainCommit(queryRunner: QueryRunner, { isDirect }: Pick<RunnerMode, 'isDirect'>): boolean {
  const state = queryRunner as unknown as TransactionState;
  return isDirect && state.isTransactionActive && state.transactionDepth === 1;
}

/** startTransaction's state changes, in its order, around `message`. */
async function startDirectly(queryRunner: QueryRunner, message: string, onSent: () => void): Promise<void> {
  const state = queryRunner as unknown as TransactionState;
  state.isTransactionActive = true;
  const answer = queryRunner.query(message);
  onSent();
  await answer;
  state.transactionDepth += 1;
}

/** commitTransaction's state changes, in its order, around `message`. */
async function commitDirectly(queryRunner: QueryRunner, message: string): Promise<void> {
  const state = queryRunner as unknown as TransactionState;
  await queryRunner.query(message);
  state.isTransactionActive = false;
  state.transactionDepth -= 1;
}

/**
 * Runs TypeORM's `step` (startTransaction, commitTransaction), which sends `command` alone
 * and keeps the runner's transaction state, with `command` replaced by `message`: several
 * statements in one simple-protocol message, one round trip; `onSent` is called once the
 * message has been handed to the connection. The runner's query is restored afterwards
 * whatever happens.
 */
async function inOneMessage(queryRunner: QueryRunner, command: string, message: string, step: () => Promise<void>, onSent = (): void => undefined): Promise<void> {
  const query = queryRunner.query.bind(queryRunner);
  queryRunner.query = ((sql: string, ...rest: unknown[]) => {
    if (sql !== command) return query(sql, ...(rest as []));
    const answer = query(message, ...(rest as []));
    onSent();
    return answer;
  }) as QueryRunner['query'];
  try {
    await step();
  } finally {
    queryRunner.query = query;
  }
}

const INVALID_AUTHORIZATION = '28000';
const ACCOUNT_GONE = 'This account no longer exists';
const SESSION_ENDED = 'This session has ended; sign in again';

/** A value as an SQL literal (node-postgres quoting), for statements sent in one message with others. */
export function sqlLiteral(value: string | null): string {
  return value === null ? 'NULL' : escapeLiteral(value);
}

interface LivenessRow {
  account_role: Role;
  is_session_live: boolean;
}

function assertLive(row: LivenessRow | undefined, user: AuthUser): void {
  if (row?.account_role !== user.role) throw ApiError.unauthenticated(ACCOUNT_GONE);
  if (!row.is_session_live) throw ApiError.unauthenticated(SESSION_ENDED);
}
