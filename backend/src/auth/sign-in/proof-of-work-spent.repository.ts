import { Injectable } from '@nestjs/common';
import { Db } from '../../db/db.service.js';

/** The `proof_of_work_spent` table: random ids of answered challenges, until they expire (no per-user data). */
@Injectable()
export class ProofOfWorkSpentRepository {
  constructor(private readonly db: Db) {}

  /**
   * Marks a challenge spent, on a connection of its own (Db.queryAlone), so the
   * proof stays spent although the request that presented it fails. False if
   * it was spent already.
   */
  async spend(challengeId: Buffer, expiresAtSeconds: number): Promise<boolean> {
    const spent = await this.db.queryAlone<Array<unknown>>(
      `INSERT INTO proof_of_work_spent (challenge_id, expires_at) VALUES ($1, to_timestamp($2)) ON CONFLICT DO NOTHING RETURNING 1`,
      [challengeId, expiresAtSeconds],
    );
    return spent.length === 1;
  }

  async purgeExpired(now: Date): Promise<number> {
    const [row] = await this.db
      .manager()
      .query<Array<{ count: string }>>(`WITH gone AS (DELETE FROM proof_of_work_spent WHERE expires_at < $1 RETURNING 1) SELECT count(*) AS count FROM gone`, [now]);
    return Number(row.count);
  }
}
