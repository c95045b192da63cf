import type { Role } from '@phr/shared-types';
import type { Db } from '../db/db.service.js';
import type { AuthUser } from '../identity/auth-user.js';

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
