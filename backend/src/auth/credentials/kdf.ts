import { KDF_ALGORITHM, type KdfParams } from '@phr/shared-types';
import type { CredentialEntity } from './credential.entity.js';

/** The KDF parameters an account's password is stretched with (DESIGN 4.1). */
export function kdfOf(credential: Pick<CredentialEntity, 'kdfIterations' | 'kdfSalt'>): KdfParams {
  return { algorithm: KDF_ALGORITHM, iterations: credential.kdfIterations, salt: credential.kdfSalt };
}
