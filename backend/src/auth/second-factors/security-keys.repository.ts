import { Injectable } from '@nestjs/common';
import { Db } from '../../db/db.service.js';
import { SecurityKeyEntity } from './security-key.entity.js';

/** The `security_keys` table (RLS: the account itself), in the request's transaction. */
@Injectable()
export class SecurityKeysRepository {
  constructor(private readonly db: Db) {}

  /** The account's keys, oldest first. */
  listOf(userId: string): Promise<SecurityKeyEntity[]> {
    return this.table().find({ where: { userId }, order: { createdAt: 'ASC' } });
  }

  findById(id: string): Promise<SecurityKeyEntity | null> {
    return this.table().findOneBy({ id });
  }

  getById(id: string): Promise<SecurityKeyEntity> {
    return this.table().findOneByOrFail({ id });
  }

  findByCredentialId(credentialId: string): Promise<SecurityKeyEntity | null> {
    return this.table().findOneBy({ credentialId });
  }

  /** Fails with a unique violation for a credential enrolled before (isUniqueViolation). */
  async insert(key: Pick<SecurityKeyEntity, 'id' | 'userId' | 'name' | 'credentialId' | 'publicKey' | 'signCount' | 'transports'>): Promise<void> {
    await this.table().insert(key);
  }

  async recordUse(id: string, signCount: number): Promise<void> {
    await this.table().update({ id }, { signCount, lastUsedAt: new Date() });
  }

  async delete(id: string): Promise<void> {
    await this.table().delete({ id });
  }

  private table() {
    return this.db.manager().getRepository(SecurityKeyEntity);
  }
}
