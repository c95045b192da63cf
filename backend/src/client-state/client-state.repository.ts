import { Injectable } from '@nestjs/common';
import { Db } from '../db/db.service.js';

/** The SQL of `client_states`; RLS shows and lets change only the caller's own row. */
@Injectable()
export class ClientStateRepository {
  constructor(private readonly db: Db) {}

  async find(userId: string): Promise<{ version: number; sealed: string } | null> {
    const [row] = await this.db.manager().query<Array<{ version: string; sealed: string }>>('SELECT version, sealed FROM client_states WHERE user_id = $1', [userId]);
    return row ? { version: Number(row.version), sealed: row.sealed } : null;
  }

  /** The first write; null when a row exists (another device wrote first). */
  async insertFirst(userId: string, sealed: string): Promise<number | null> {
    const rows = await this.db
      .manager()
      .query<Array<{ version: string }>>('INSERT INTO client_states (user_id, version, sealed) VALUES ($1, 1, $2) ON CONFLICT (user_id) DO NOTHING RETURNING version', [userId, sealed]);
    return rows.length ? Number(rows[0].version) : null;
  }

  /**
   * Compare-and-set: replaces the blob only if the stored version is still
   * `expected`. Of two writes on one version, the second waits for the first
   * to commit, then finds the version moved on: null.
   */
  async replace(userId: string, expected: number, sealed: string): Promise<number | null> {
    const [rows] = await this.db
      .manager()
      .query<[Array<{ version: string }>, number]>(
        'UPDATE client_states SET version = version + 1, sealed = $3, updated_at = now() WHERE user_id = $1 AND version = $2 RETURNING version',
        [userId, expected, sealed],
      );
    return rows.length ? Number(rows[0].version) : null;
  }
}
