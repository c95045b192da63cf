import { Injectable } from '@nestjs/common';
import { Db } from '../../db/db.service.js';

/** An account's authenticator app, as stored: the secret still sealed. */
export interface TotpFactorRow {
  sealedSecret: Buffer;
  createdAt: Date;
  confirmedAt: Date | null;
  lastUsedAt: Date | null;
}

/**
 * The `totp_factors` table (RLS: the account itself), in the request's
 * transaction: one row per account, pending until confirmed.
 */
@Injectable()
export class TotpFactorsRepository {
  constructor(private readonly db: Db) {}

  async findOf(userId: string): Promise<TotpFactorRow | null> {
    const [row] = await this.db.manager().query<Array<{ sealed_secret: Buffer; created_at: Date; confirmed_at: Date | null; last_used_at: Date | null }>>(
      'SELECT sealed_secret, created_at, confirmed_at, last_used_at FROM totp_factors WHERE user_id = $1',
      [userId],
    );
    return row ? { sealedSecret: row.sealed_secret, createdAt: row.created_at, confirmedAt: row.confirmed_at, lastUsedAt: row.last_used_at } : null;
  }

  /** A new pending secret, replacing a pending one; a confirmed one stays and nothing is written (false). */
  async putPending(userId: string, sealedSecret: Buffer): Promise<boolean> {
    const rows = await this.db.manager().query<unknown[]>(
      `INSERT INTO totp_factors (user_id, sealed_secret) VALUES ($1, $2)
       ON CONFLICT (user_id) DO UPDATE SET sealed_secret = EXCLUDED.sealed_secret, created_at = now(), last_step = NULL
         WHERE totp_factors.confirmed_at IS NULL
       RETURNING 1`,
      [userId, sealedSecret],
    );
    return rows.length === 1;
  }

  /**
   * Records `step` as the last accepted one, and confirms a pending factor with it. False when a
   * code of this step or a later one was accepted before (a replay), or `isConfirmed` does not
   * match the row: the row lock makes two requests with one code race to a single winner.
   */
  async acceptStep(userId: string, step: number, isConfirmed: boolean): Promise<boolean> {
    // TypeORM answers an UPDATE or DELETE with [rows, count].
    const [rows] = await this.db.manager().query<[unknown[], number]>(
      `UPDATE totp_factors SET last_step = $2, last_used_at = now(), confirmed_at = COALESCE(confirmed_at, now())
        WHERE user_id = $1 AND (confirmed_at IS NOT NULL) = $3 AND (last_step IS NULL OR last_step < $2)
       RETURNING 1`,
      [userId, step, isConfirmed],
    );
    return rows.length === 1;
  }

  /** Deletes the account's factor; false when it had none. */
  async delete(userId: string): Promise<boolean> {
    const [rows] = await this.db.manager().query<[unknown[], number]>('DELETE FROM totp_factors WHERE user_id = $1 RETURNING 1', [userId]);
    return rows.length === 1;
  }

  /** Whether the account has a second factor: a security key or a confirmed app (the enrolment policy). */
  async hasSecondFactor(userId: string): Promise<boolean> {
    const [row] = await this.db.manager().query<Array<{ has_factor: boolean }>>(
      `SELECT EXISTS (SELECT 1 FROM security_keys WHERE user_id = $1)
           OR EXISTS (SELECT 1 FROM totp_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL) AS has_factor`,
      [userId],
    );
    return row.has_factor;
  }
}
