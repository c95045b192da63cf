import { Injectable } from '@nestjs/common';
import { Db } from '../db/db.service.js';

/**
 * The one column of `credentials` a key-pair rotation changes (the private
 * key, sealed under the account key); the public key is users/
 * public-keys.repository.ts. Runs in the request's transaction under the
 * caller's RLS context, which shows and changes only the caller's row.
 */
@Injectable()
export class KeyPairRepository {
  constructor(private readonly db: Db) {}

  async replaceWrappedPrivateKey(userId: string, wrappedPrivateKey: string): Promise<void> {
    await this.db.manager().query('UPDATE credentials SET wrapped_private_key = $2, updated_at = $3 WHERE user_id = $1', [userId, wrappedPrivateKey, new Date()]);
  }
}
