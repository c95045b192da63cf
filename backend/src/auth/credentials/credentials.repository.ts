import { Injectable } from '@nestjs/common';
import { Db } from '../../db/db.service.js';
import { CredentialEntity } from './credential.entity.js';

/** What a password change or a recovery replaces (the key generation is the rotation's, key-rotation.repository.ts). */
export type CredentialUpdate = Partial<Pick<CredentialEntity, 'authHash' | 'kdfIterations' | 'kdfSalt' | 'wrappedAccountKey' | 'wrappedPrivateKey' | 'recoveryAuthHash' | 'recoveryWrappedAccountKey'>>;

/** The `credentials` table, in the request's transaction (RLS: the account itself). */
@Injectable()
export class CredentialsRepository {
  constructor(private readonly db: Db) {}

  findByUser(userId: string): Promise<CredentialEntity | null> {
    return this.table().findOneBy({ userId });
  }

  getByUser(userId: string): Promise<CredentialEntity> {
    return this.table().findOneByOrFail({ userId });
  }

  async insert(credential: Omit<CredentialEntity, 'keyGeneration' | 'updatedAt'>): Promise<void> {
    await this.table().insert(credential);
  }

  async update(userId: string, changes: CredentialUpdate): Promise<void> {
    await this.table().update({ userId }, { ...changes, updatedAt: new Date() });
  }

  private table() {
    return this.db.manager().getRepository(CredentialEntity);
  }
}
