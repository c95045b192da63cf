import { Injectable } from '@nestjs/common';
import { Db } from '../db/db.service.js';
import { PublicKeyEntity } from './public-key.entity.js';

/** An account's RSA-OAEP public key as `public_keys` holds it. */
export interface PublicKeyRow {
  userId: string;
  /** SPKI DER, base64url. */
  publicKey: string;
  /** SHA-256 of the SPKI bytes, lowercase hex (DESIGN 4.5). */
  fingerprint: string;
  createdAt: Date;
}

/**
 * The SQL of `public_keys`, through TypeORM's repository of PublicKeyEntity.
 * Any signed-in caller reads any key (public keys are public); an account
 * writes only its own.
 */
@Injectable()
export class PublicKeysRepository {
  constructor(private readonly db: Db) {}

  async find(userId: string): Promise<PublicKeyRow | null> {
    return await this.keys().findOneBy({ userId });
  }

  async get(userId: string): Promise<PublicKeyRow> {
    return await this.keys().findOneByOrFail({ userId });
  }

  /** The account's key, locked until the transaction ends: two rotations of one account take turns. */
  async lock(userId: string): Promise<PublicKeyRow | null> {
    return await this.keys().findOne({ where: { userId }, lock: { mode: 'pessimistic_write' } });
  }

  async insert(key: Omit<PublicKeyRow, 'createdAt'>): Promise<void> {
    await this.keys().insert(key);
  }

  /** A rotation's new key, dated now. */
  async replace(userId: string, publicKey: string, fingerprint: string): Promise<void> {
    await this.keys().update({ userId }, { publicKey, fingerprint, createdAt: new Date() });
  }

  private keys() {
    return this.db.manager().getRepository(PublicKeyEntity);
  }
}
