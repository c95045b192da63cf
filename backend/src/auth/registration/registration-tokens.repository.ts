import { Injectable } from '@nestjs/common';
import { Db } from '../../db/db.service.js';

/** The `registration_tokens` table: nobody reads it; the application role inserts and claims through `claim_registration_token`. */
@Injectable()
export class RegistrationTokensRepository {
  constructor(private readonly db: Db) {}

  async insert(tokenHash: Buffer, email: string, lifetimeSeconds: number): Promise<void> {
    await this.db
      .manager()
      .query('INSERT INTO registration_tokens (token_hash, email, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))', [tokenHash, email, lifetimeSeconds]);
  }

  /** Uses up the token of this hash if it was made for `email` and is unused and unexpired. */
  async claim(tokenHash: Buffer, email: string): Promise<boolean> {
    const [row] = await this.db.manager().query<Array<{ claimed: boolean }>>('SELECT claim_registration_token($1, $2) AS claimed', [tokenHash, email]);
    return row?.claimed === true;
  }

  /** Tokens used or expired before `before` go (a definer function); returns how many. */
  async purgeSpent(before: Date): Promise<number> {
    const [row] = await this.db.manager().query<Array<{ count: string }>>('SELECT purge_spent_registration_tokens($1) AS count', [before]);
    return Number(row.count);
  }
}
