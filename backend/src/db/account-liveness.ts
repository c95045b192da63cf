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
 * The first statement of a transaction (issue 14: one round trip, not two): sets the RLS
 * context to `actor` and, when `caller` is given, checks as assertAccountExists does that its
 * account and session are still live (app_start_request, migration 1765730000000).
 */
export async function startAs(queryRunner: QueryRunner, actor: Actor, caller: AuthUser | null): Promise<void> {
  const rows: LivenessRow[] = await queryRunner.manager.query('SELECT account_role, is_session_live FROM app_start_request($1, $2, $3)', [
    actor.userId,
    actor.role,
    caller?.sessionId ?? null,
  ]);
  if (caller) assertLive(rows[0], caller);
}

interface LivenessRow {
  account_role: Role;
  is_session_live: boolean;
}

function assertLive(row: LivenessRow | undefined, user: AuthUser): void {
  if (row?.account_role !== user.role) throw ApiError.unauthenticated('This account no longer exists');
  if (!row.is_session_live) throw ApiError.unauthenticated('This session has ended; sign in again');
}
