import { Injectable } from '@nestjs/common';
import type { FieldError, RotateKeyPairRequest, RotateKeyPairResult } from '@phr/shared-types';
import { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../identity/auth-user.js';
import { Reauthentication } from '../auth/credentials/reauthentication.service.js';
import { checkRsaPublicKey, checkSealedBlob, fingerprintOf } from '../identity/key-material.js';
import { ApiError } from '../common/api-error.js';
import { KeyDirectory } from '../key-directory/key-directory.service.js';
import { KeyGenerations } from '../key-generations/key-generations.js';
import { PublicKeysRepository } from '../users/public-keys.repository.js';
import { KeyPairRepository } from './key-pair.repository.js';

/**
 * Key-pair rotation (docs/protocol.md "Key-pair rotation"): an account
 * replaces its RSA-OAEP key pair, made in its browser. In one transaction the
 * public key and the sealed private key are replaced, the new binding is
 * logged in the key directory, and the step is audited. Doctor wraps made for
 * the old key become stale (record_wraps.key_fingerprint no longer matches):
 * the API stops handing them out and the patients' browsers re-make them.
 */
@Injectable()
export class KeyPairService {
  constructor(
    private readonly publicKeys: PublicKeysRepository,
    private readonly keyPairs: KeyPairRepository,
    private readonly auth: Reauthentication,
    private readonly keyDirectory: KeyDirectory,
    private readonly audit: AuditService,
    private readonly keyGenerations: KeyGenerations,
  ) {}

  async rotate(user: AuthUser, request: RotateKeyPairRequest): Promise<RotateKeyPairResult> {
    await this.auth.proveCurrentPassword(user, request.currentAuthKey, 'key.rotate');
    const problems = [checkRsaPublicKey('publicKey', request.publicKey), checkSealedBlob('wrappedPrivateKey', request.wrappedPrivateKey)];
    const invalid = problems.filter((problem): problem is FieldError => problem !== null);
    if (invalid.length) throw ApiError.validation(invalid);

    // Locked until the end: two rotations of one account take turns, and each names the key it replaced.
    const current = await this.publicKeys.lock(user.userId);
    if (!current) throw ApiError.unauthenticated('This account no longer exists');
    // The account key's rotation re-seals the private key in force: a new pair now would be lost at its finish.
    await this.keyGenerations.refuseDuringRotation(user.userId, 'key-pair rotation').catch((error: unknown) => {
      if (error instanceof ApiError) this.audit.deny({ subjectId: user.userId, action: 'key.rotate', reason: 'an account-key rotation is under way' });
      throw error;
    });
    const fingerprint = fingerprintOf(request.publicKey);
    if (fingerprint === current.fingerprint) {
      throw ApiError.validation([{ field: 'publicKey', message: 'publicKey is the current key: a rotation needs a new key pair' }]);
    }
    await this.publicKeys.replace(user.userId, request.publicKey, fingerprint);
    await this.keyPairs.replaceWrappedPrivateKey(user.userId, request.wrappedPrivateKey);
    // Before the audit row: the log's lock comes before any chain head (KeyDirectory.bind).
    const binding = await this.keyDirectory.bind({ userId: user.userId, role: user.role, publicKey: request.publicKey });
    await this.audit.allow({
      subjectId: user.userId,
      action: 'key.rotate',
      reason: `key ${fingerprint} replaces ${current.fingerprint}; key directory entry ${binding.leafIndex}`,
    });
    return { fingerprint, binding };
  }
}
