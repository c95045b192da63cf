import type { Role } from '@phr/shared-types';
import { ApiError } from '../common/api-error.js';
import type { AuthUser } from '../identity/auth-user.js';
import type { Db } from './db.service.js';

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
