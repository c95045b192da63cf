import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Db } from '../../db/db.service.js';
import type { AuthUser } from '../../identity/auth-user.js';

/** A challenge taken out of the store. */
export interface TakenChallenge {
  challenge: string;
  key_name: string | null;
  is_live: boolean;
}

/** The `webauthn_challenges` table: one row per ceremony, keyed by the SHA-256 of its token. */
@Injectable()
export class WebAuthnChallengesRepository {
  constructor(private readonly db: Db) {}

  /** Drops the user's expired challenges, then stores a new one for `lifetimeSeconds`. */
  async insert(tokenHash: Buffer, userId: string, purpose: string, challenge: string, keyName: string | null, lifetimeSeconds: number): Promise<void> {
    const manager = this.db.manager();
    await manager.query('DELETE FROM webauthn_challenges WHERE user_id = $1 AND expires_at <= now()', [userId]);
    await manager.query(
      `INSERT INTO webauthn_challenges (token_hash, user_id, purpose, challenge, key_name, expires_at)
       VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))`,
      [tokenHash, userId, purpose, challenge, keyName, lifetimeSeconds],
    );
  }

  /** Whose sign-in a challenge belongs to, before anyone is signed in (a definer function: id and role only). */
  async ownerOf(tokenHash: Buffer): Promise<AuthUser | null> {
    const [row] = await this.db.manager().query<Array<{ user_id: string; role: AuthUser['role'] }>>('SELECT user_id, role FROM auth_account_by_webauthn_challenge($1)', [tokenHash]);
    return row ? { userId: row.user_id, role: row.role } : null;
  }

  /** Deletes the challenge of this token and purpose and returns it, or null. */
  async take(tokenHash: Buffer, purpose: string): Promise<TakenChallenge | null> {
    const [rows] = await this.db.manager().query<[TakenChallenge[], number]>(
      `DELETE FROM webauthn_challenges WHERE token_hash = $1 AND purpose = $2 RETURNING challenge, key_name, expires_at > now() AS is_live`,
      [tokenHash, purpose],
    );
    return rows[0] ?? null;
  }

  /** Deletes the challenge of this token whatever its purpose; `manager` for a deferred write after a rollback. */
  async delete(tokenHash: Buffer, manager: EntityManager = this.db.manager()): Promise<void> {
    await manager.query('DELETE FROM webauthn_challenges WHERE token_hash = $1', [tokenHash]);
  }
}
