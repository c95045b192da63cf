import { Injectable } from '@nestjs/common';
import type { AuditAction, ChangePasswordRequest, RecoveryKeysRequest, RecoveryKeysResponse, RecoveryResetRequest } from '@phr/shared-types';
import { AuditService } from '../../audit/audit.service.js';
import { ApiError } from '../../common/api-error.js';
import type { AuthUser } from '../../identity/auth-user.js';
import { assertKeyMaterial, checkSealedBlob } from '../../identity/key-material.js';
import { KeyGenerations } from '../../key-generations/key-generations.js';
import { SessionService } from '../sessions/session.service.js';
import { SessionStarter, type DeviceToken, type RefreshToken, type SessionResult } from '../sessions/session-starter.js';
import { KnownDevices, type RememberedDevice } from '../sign-in/known-devices.service.js';
import { SignInService } from '../sign-in/sign-in.service.js';
import { CredentialsRepository } from './credentials.repository.js';
import { PasswordHasher } from './password-hasher.js';
import { Reauthentication } from './reauthentication.service.js';

/** The recovery wrap, and the browser that proved the code is now a known device. */
export interface RecoveryKeysResult {
  body: RecoveryKeysResponse;
  device: RememberedDevice;
}

/** A new password, from the current one or from the recovery code (DESIGN 4.2). */
@Injectable()
export class CredentialChanges {
  constructor(
    private readonly credentials: CredentialsRepository,
    private readonly hasher: PasswordHasher,
    private readonly reauthentication: Reauthentication,
    private readonly signIn: SignInService,
    private readonly sessions: SessionService,
    private readonly sessionStarter: SessionStarter,
    private readonly devices: KnownDevices,
    private readonly keyGenerations: KeyGenerations,
    private readonly audit: AuditService,
  ) {}

  /**
   * DESIGN 4.2: the account key is re-wrapped under the new KEK. Other
   * sessions end, and other browsers are no longer known devices.
   */
  async changePassword(user: AuthUser, request: ChangePasswordRequest, currentRefreshToken?: string, deviceToken?: DeviceToken): Promise<void> {
    await this.reauthentication.proveCurrentPassword(user, request.currentAuthKey, 'account.password-change');
    assertKeyMaterial([checkSealedBlob('newWrappedAccountKey', request.newWrappedAccountKey)]);
    await this.refuseDuringRotation(user, 'account.password-change', 'password change');
    await this.credentials.update(user.userId, {
      authHash: await this.hasher.hash(request.newAuthKey),
      kdfIterations: request.newKdf.iterations,
      kdfSalt: request.newKdf.salt,
      wrappedAccountKey: request.newWrappedAccountKey,
    });
    await this.sessions.endAllSessions(user.userId, currentRefreshToken);
    await this.devices.forgetAllBut(user.userId, deviceToken);
    await this.audit.allow({ subjectId: user.userId, action: 'account.password-change' });
  }

  async recoveryKeys(request: RecoveryKeysRequest, deviceToken: DeviceToken): Promise<RecoveryKeysResult> {
    const user = await this.signIn.verifyRecoveryCode('account.recovery-keys', request, deviceToken);
    const credential = await this.credentials.getByUser(user.userId);
    await this.audit.allow({ subjectId: user.userId, action: 'account.recovery-keys' });
    // The recovery code proves the account as fully as password and key: the reset that follows needs no second proof of work.
    const device = await this.devices.remember(user.userId, deviceToken, null);
    return { body: { recoveryWrappedAccountKey: credential.recoveryWrappedAccountKey }, device };
  }

  /** A new password from the recovery code; the code is replaced, every session ends, every other browser is forgotten. */
  async recoveryReset(request: RecoveryResetRequest, deviceToken: DeviceToken, replacing: RefreshToken): Promise<SessionResult> {
    const user = await this.signIn.verifyRecoveryCode('account.recovery', request, deviceToken);
    assertKeyMaterial([
      checkSealedBlob('newWrappedAccountKey', request.newWrappedAccountKey),
      checkSealedBlob('newRecovery.recoveryWrappedAccountKey', request.newRecovery.recoveryWrappedAccountKey),
    ]);
    await this.refuseDuringRotation(user, 'account.recovery', 'recovery');
    const [authHash, recoveryAuthHash] = await Promise.all([
      this.hasher.hash(request.newAuthKey),
      this.hasher.hash(request.newRecovery.recoveryAuthKey),
    ]);
    await this.credentials.update(user.userId, {
      authHash,
      kdfIterations: request.newKdf.iterations,
      kdfSalt: request.newKdf.salt,
      wrappedAccountKey: request.newWrappedAccountKey,
      recoveryAuthHash,
      recoveryWrappedAccountKey: request.newRecovery.recoveryWrappedAccountKey,
    });
    await this.sessions.endAllSessions(user.userId);
    await this.devices.forgetAllBut(user.userId, deviceToken);
    await this.audit.allow({ subjectId: user.userId, action: 'account.recovery' });
    return this.sessionStarter.start(user, 'account.recovery', deviceToken, false, replacing);
  }

  /** docs/protocol.md "Account-key rotation": a password change or recovery waits for a rotation to finish (audited 409). */
  private async refuseDuringRotation(user: AuthUser, action: AuditAction, step: string): Promise<void> {
    await this.keyGenerations.refuseDuringRotation(user.userId, step).catch((error: unknown) => {
      if (error instanceof ApiError) this.audit.deny({ subjectId: user.userId, action, reason: 'an account-key rotation is under way' });
      throw error;
    });
  }
}
