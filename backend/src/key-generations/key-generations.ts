import { Injectable } from '@nestjs/common';
import { ERROR_CODES } from '@phr/shared-types';
import { ApiError } from '../common/api-error.js';
import { KeyRotationRepository } from './key-rotation.repository.js';

/**
 * Which account key a write must be sealed under (docs/protocol.md
 * "Account-key rotation"): the key in force, or the new one while a rotation
 * is under way, so that nothing written during a rotation is left under the
 * key it retires. Used by every route that stores something sealed under the
 * account key. Sign-in reads the generation and the new key's wraps with the
 * account's other keys, under the same lock (SessionBodiesRepository).
 */
@Injectable()
export class KeyGenerations {
  constructor(private readonly rotations: KeyRotationRepository) {}

  /**
   * The generation to store with a new owner wrap or folder name. `claimed` is
   * what the client says sealed it (absent: the key in force). A claim that is
   * not the key to seal under now is a 409: during a rotation a write sealed
   * under the old key would be left behind when the old key is retired. Locks
   * the credentials row (shared) until the transaction ends.
   */
  async sealingGeneration(userId: string, claimed: number | undefined): Promise<number> {
    const row = await this.rotations.lock(userId, 'share');
    if (!row) throw ApiError.unauthenticated('This account no longer exists');
    const expected = row.rotation?.generation ?? row.keyGeneration;
    const given = claimed ?? row.keyGeneration;
    if (given === expected) return expected;
    throw new ApiError(
      409,
      ERROR_CODES.keyRotation,
      row.rotation
        ? `The account key is being rotated: seal under the new key and send keyGeneration ${row.rotation.generation}`
        : `keyGeneration ${given} is not the account key in force (generation ${row.keyGeneration})`,
    );
  }

  /**
   * A password change or recovery reset re-wraps the account key in force
   * only; the new key's wrap, under the old password's KEK, would be lost.
   * Refused (409) until the rotation has finished.
   */
  async refuseDuringRotation(userId: string, step: string): Promise<void> {
    const row = await this.rotations.lock(userId, 'share');
    if (row?.rotation) {
      throw new ApiError(409, ERROR_CODES.keyRotation, `An account-key rotation is under way: finish it (sign in with your password) before the ${step}`);
    }
  }
}
