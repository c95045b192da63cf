import { Injectable } from '@nestjs/common';
import type { Role } from '@phr/shared-types';
import { Db } from '../db/db.service.js';
import { prepared } from '../db/prepared-statements.js';
import type { AuthUser } from '../identity/auth-user.js';
import { UserEntity } from './user.entity.js';

/** An account as `users` holds it. */
export interface UserRow {
  id: string;
  /** Stored lower-cased and trimmed. */
  email: string;
  displayName: string;
  role: Role;
  /** Doctors only: shown to patients who search for them. */
  specialty: string | null;
  createdAt: Date;
}

/** The details an account may correct itself (GDPR Art. 16). */
export type UserDetails = Partial<Pick<UserRow, 'displayName' | 'specialty'>>;

/**
 * The SQL of `users`, through TypeORM's repository of UserEntity. Runs in the
 * caller's transaction: RLS shows an account its own row (an operator also
 * doctors' rows) and lets it delete its own (erasure).
 */
@Injectable()
export class UsersRepository {
  constructor(private readonly db: Db) {}

  /**
   * The account an email names, before the caller is known: through the
   * SECURITY DEFINER function auth_account_by_email, which returns only the
   * id and role; everything else is read afterwards under that account's RLS
   * context.
   */
  async findAccountByEmail(email: string): Promise<AuthUser | null> {
    const [row] = await this.db.manager().query<Array<{ user_id: string; role: Role }>>(prepared('SELECT user_id, role FROM auth_account_by_email($1)'), [email]);
    return row ? { userId: row.user_id, role: row.role } : null;
  }

  /**
   * The account an email names, as findAccountByEmail finds it, with the transaction's RLS
   * context switched to that account by the same statement (set_config as Db.becomeActor sends
   * it, in the select list; issue 14: a sign-in's lookup and switch in one round trip). An
   * unknown email finds no row and leaves the context as it was.
   */
  async findAccountByEmailAsActor(email: string): Promise<AuthUser | null> {
    const [row] = await this.db.manager().query<Array<{ user_id: string; role: Role }>>(
      prepared(`SELECT a.user_id, a.role, set_config('app.user_id', a.user_id::text, true) AS rls_user_id, set_config('app.role', a.role, true) AS rls_role
       FROM auth_account_by_email($1) a`),
      [email],
    );
    if (!row) return null;
    const account: AuthUser = { userId: row.user_id, role: row.role };
    this.db.adoptActor(account);
    return account;
  }

  async find(userId: string): Promise<UserRow | null> {
    return await this.users().findOneBy({ id: userId });
  }

  /** An account the caller's context must be able to see (its own): throws otherwise. */
  async get(userId: string): Promise<UserRow> {
    return await this.users().findOneByOrFail({ id: userId });
  }

  async insert(user: Omit<UserRow, 'createdAt'>): Promise<void> {
    await this.users().insert(user);
  }

  async updateDetails(userId: string, details: UserDetails): Promise<void> {
    await this.users().update({ id: userId }, details);
  }

  /** Deletes the account's row (its other rows go by cascade); false when there was none to delete. */
  async delete(userId: string): Promise<boolean> {
    const deleted = await this.users().delete({ id: userId });
    return deleted.affected === 1;
  }

  private users() {
    return this.db.manager().getRepository(UserEntity);
  }
}
