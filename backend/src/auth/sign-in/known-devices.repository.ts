import { Injectable } from '@nestjs/common';
import { Db } from '../../db/db.service.js';
import { prepared } from '../../db/prepared-statements.js';
import { KnownDeviceEntity } from './known-device.entity.js';

/** The `known_devices` table (RLS: the account itself; rows are SHA-256 of the account id and the device token). */
@Injectable()
export class KnownDevicesRepository {
  constructor(private readonly db: Db) {}

  find(userId: string, tokenHash: Buffer): Promise<KnownDeviceEntity | null> {
    return this.table().findOneBy({ userId, tokenHash });
  }

  /** Inserts the device or renews it (a later sign-in keeps the session it first started unless it names one). */
  async upsert(userId: string, tokenHash: Buffer, familyId: string | null, expiresAt: Date): Promise<void> {
    await this.db.manager().query(
      prepared(`INSERT INTO known_devices (user_id, token_hash, family_id, expires_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (user_id, token_hash) DO UPDATE SET
         family_id = COALESCE(EXCLUDED.family_id, known_devices.family_id), last_sign_in_at = now(), expires_at = EXCLUDED.expires_at`),
      [userId, tokenHash, familyId, expiresAt],
    );
  }

  async deleteAllBut(userId: string, keepHash: Buffer): Promise<void> {
    await this.db.manager().query('DELETE FROM known_devices WHERE user_id = $1 AND token_hash <> $2', [userId, keepHash]);
  }

  async deleteOfSession(userId: string, familyId: string): Promise<void> {
    await this.table().delete({ userId, familyId });
  }

  /** Devices not seen since before `now`'s expiry, through the definer function (the sweep runs with no user). */
  async purgeExpired(now: Date): Promise<number> {
    const [row] = await this.db.manager().query<Array<{ count: string }>>('SELECT purge_expired_known_devices($1) AS count', [now]);
    return Number(row.count);
  }

  private table() {
    return this.db.manager().getRepository(KnownDeviceEntity);
  }
}
