import type { Role } from '@phr/shared-types';
import { ApiError } from '../common/api-error.js';
import type { Db } from '../db/db.service.js';
import type { AuthUser } from './auth-user.js';

/** Emails are compared trimmed and lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Finds an account by email before the caller is known. Runs through a
 * SECURITY DEFINER function that returns only the id and role; everything
 * else is read afterwards under that account's RLS context.
 */
export async function findAccountByEmail(db: Db, email: string): Promise<AuthUser | null> {
  const [row] = await db.manager().query<Array<{
    user_id: string;
    role: Role;
  }>>('SELECT user_id, role FROM auth_account_by_email($1)', [email]);
  return row ? { userId: row.user_id, role: row.role } : null;
}

/**
 * A signed access token is valid for up to 15 minutes; an account erased (or
 * whose role changed) in that time must lose access at once, and so must a
 * session the user ended (sign-out, "End session", password change: ASVS
 * 3.3.4). Runs inside the request's transaction, under the caller's RLS
 * context, which shows a user only their own rows.
 */
export async function assertAccountExists(db: Db, user: AuthUser): Promise<void> {
  const [row] = await db.manager().query<Array<{ role: Role; is_session_live: boolean }>>(
    `SELECT role, EXISTS (SELECT 1 FROM refresh_tokens WHERE family_id = $1 AND revoked_at IS NULL) AS is_session_live
       FROM users WHERE id = app_user_id()`,
    [user.sessionId ?? null],
  );
  if (row?.role !== user.role) throw ApiError.unauthenticated('This account no longer exists');
  if (!row.is_session_live) throw ApiError.unauthenticated('This session has ended; sign in again');
}
