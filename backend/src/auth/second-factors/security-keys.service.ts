import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ERROR_CODES, type AddSecurityKeyRequest, type SecurityKey, type SecurityKeyEnrolment, type SecurityKeyList } from '@phr/shared-types';
import { AttemptOwners } from '../../audit/attempt-owners.js';
import { AuditService } from '../../audit/audit.service.js';
import { ApiError } from '../../common/api-error.js';
import { isUniqueViolation } from '../../db/database-errors.js';
import { UsersRepository } from '../../users/users.repository.js';
import type { AuthUser } from '../../identity/auth-user.js';
import { Reauthentication } from '../credentials/reauthentication.service.js';
import type { SecurityKeyEntity } from './security-key.entity.js';
import { SecurityKeysRepository } from './security-keys.repository.js';
import { SecurityKeyRefusal, WebAuthn } from './webauthn.service.js';

/**
 * The account holder's security keys (ASVS 2.3.2): enrol, list, remove. A
 * removal is a grave step, so it asks for the current password, like a
 * password change; every enrolment and removal is audited.
 */
@Injectable()
export class SecurityKeysService {
  constructor(
    private readonly users: UsersRepository,
    private readonly securityKeys: SecurityKeysRepository,
    private readonly webauthn: WebAuthn,
    private readonly auth: Reauthentication,
    private readonly audit: AuditService,
    private readonly owners: AttemptOwners,
  ) {}

  async enrolmentOptions(user: AuthUser, name: string): Promise<SecurityKeyEnrolment> {
    const account = await this.users.get(user.userId);
    return this.webauthn.enrolmentChallenge(user, name.trim(), { email: account.email, displayName: account.displayName });
  }

  async add(user: AuthUser, request: AddSecurityKeyRequest): Promise<SecurityKey> {
    const challenge = await this.webauthn.consumeChallenge(request.challengeToken, 'enrol');
    if (!challenge?.keyName) {
      throw ApiError.validation([{ field: 'challengeToken', message: 'challengeToken is unknown, used or expired; start the enrolment again' }]);
    }
    const enrolled = await this.webauthn.verifyEnrolment(challenge, request.credential).catch((error: unknown) => {
      if (!(error instanceof SecurityKeyRefusal)) throw error;
      this.audit.deny({ subjectId: user.userId, action: 'account.security-key-add', reason: error.reason });
      throw ApiError.validation([{ field: 'credential', message: 'credential does not answer this enrolment’s challenge for this portal' }]);
    });
    const key = { id: randomUUID(), userId: user.userId, name: challenge.keyName, ...enrolled };
    await this.securityKeys
      .insert(key)
      .catch((error: unknown) => {
        // The credential id is unique across accounts: an authenticator enrolled once is not enrolled again.
        if (isUniqueViolation(error)) {
          throw new ApiError(409, ERROR_CODES.conflict, 'This security key is already enrolled');
        }
        throw error;
      });
    await this.audit.allow({ subjectId: user.userId, action: 'account.security-key-add', reason: `security key ${key.id}` });
    return toSecurityKey(await this.securityKeys.getById(key.id));
  }

  async list(user: AuthUser): Promise<SecurityKeyList> {
    const keys = await this.securityKeys.listOf(user.userId);
    return { keys: keys.map(toSecurityKey) };
  }

  /** Someone else's key is not found (RLS), exactly like a key that does not exist; the password is asked only for one's own. */
  async remove(user: AuthUser, keyId: string, currentAuthKey: string): Promise<void> {
    const key = await this.securityKeys.findById(keyId);
    if (!key) {
      // Another account's key: the attempt belongs in that account's trail.
      const owner = await this.owners.ownerOf('securityKey', keyId);
      const isForeign = owner !== null && owner !== user.userId;
      this.audit.deny({ subjectId: isForeign ? owner : user.userId, action: 'account.security-key-remove', reason: `security key ${keyId.toLowerCase()}: ${isForeign ? 'of another account' : 'no such key'}` });
      throw ApiError.notFound('No such security key');
    }
    await this.auth.proveCurrentPassword(user, currentAuthKey, 'account.security-key-remove');
    await this.securityKeys.delete(key.id);
    await this.audit.allow({ subjectId: user.userId, action: 'account.security-key-remove', reason: `security key ${key.id}` });
  }
}

function toSecurityKey(key: SecurityKeyEntity): SecurityKey {
  return { id: key.id, name: key.name, createdAt: key.createdAt.toISOString(), lastUsedAt: key.lastUsedAt?.toISOString() ?? null };
}
