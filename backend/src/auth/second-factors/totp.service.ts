import { Injectable } from '@nestjs/common';
import { ERROR_CODES, type TotpEnrolment, type TotpStatus } from '@phr/shared-types';
import { AuditService } from '../../audit/audit.service.js';
import { ApiError } from '../../common/api-error.js';
import type { AuthUser } from '../../identity/auth-user.js';
import { UsersRepository } from '../../users/users.repository.js';
import { Reauthentication } from '../credentials/reauthentication.service.js';
import { checkCode, totpOf } from './totp-codes.js';
import { TotpFactorsRepository, type TotpFactorRow } from './totp-factors.repository.js';
import { TotpSecrets } from './totp-secrets.js';

/**
 * The account holder's authenticator app (TOTP, RFC 6238; ASVS 6.3.2): the
 * server makes the secret, the app proves it holds it with a current code
 * before it counts, and each time step's code is accepted once. Removal asks
 * for the current password, like a security key's. Every step is audited,
 * refusals included.
 */
@Injectable()
export class TotpService {
  constructor(
    private readonly users: UsersRepository,
    private readonly factors: TotpFactorsRepository,
    private readonly secrets: TotpSecrets,
    private readonly auth: Reauthentication,
    private readonly audit: AuditService,
  ) {}

  /** A new secret, pending until confirmed; a pending one is replaced, an active one must be removed first. */
  async enrol(user: AuthUser): Promise<TotpEnrolment> {
    const account = await this.users.get(user.userId);
    const secret = this.secrets.generate();
    if (!(await this.factors.putPending(user.userId, this.secrets.seal(user.userId, secret)))) {
      this.audit.deny({ subjectId: user.userId, action: 'account.totp-enrol', reason: 'an authenticator app is already active' });
      throw new ApiError(409, ERROR_CODES.conflict, 'An authenticator app is already active; remove it before enrolling another');
    }
    await this.audit.allow({ subjectId: user.userId, action: 'account.totp-enrol', reason: 'secret issued, pending confirmation' });
    const totp = totpOf(secret, account.email);
    return { secret: totp.secret.base32, uri: totp.toString() };
  }

  /** The pending secret becomes the account's second factor once a current code proves the app holds it. */
  async confirm(user: AuthUser, code: string): Promise<TotpStatus> {
    const factor = await this.factors.findOf(user.userId);
    if (!factor || factor.confirmedAt) {
      const reason = factor ? 'the authenticator app is already active' : 'no enrolment under way';
      this.audit.deny({ subjectId: user.userId, action: 'account.totp-confirm', reason });
      throw factor ? new ApiError(409, ERROR_CODES.conflict, 'The authenticator app is already active') : ApiError.notFound('No authenticator app is being enrolled; start again');
    }
    const refusal = await this.accept(user, factor, code, false);
    if (refusal) {
      this.audit.deny({ subjectId: user.userId, action: 'account.totp-confirm', reason: refusal });
      throw ApiError.validation([{ field: 'code', message: 'code is not the one the authenticator app shows now' }]);
    }
    await this.audit.allow({ subjectId: user.userId, action: 'account.totp-confirm' });
    return this.status(user);
  }

  async status(user: AuthUser): Promise<TotpStatus> {
    const factor = await this.factors.findOf(user.userId);
    return {
      isActive: Boolean(factor?.confirmedAt),
      confirmedAt: factor?.confirmedAt?.toISOString() ?? null,
      lastUsedAt: factor?.confirmedAt ? (factor.lastUsedAt?.toISOString() ?? null) : null,
    };
  }

  /** Removes the app (active or pending) once the current password is proven. */
  async remove(user: AuthUser, currentAuthKey: string): Promise<void> {
    const factor = await this.factors.findOf(user.userId);
    if (!factor) {
      this.audit.deny({ subjectId: user.userId, action: 'account.totp-remove', reason: 'no authenticator app' });
      throw ApiError.notFound('No authenticator app');
    }
    await this.auth.proveCurrentPassword(user, currentAuthKey, 'account.totp-remove');
    await this.factors.delete(user.userId);
    await this.audit.allow({ subjectId: user.userId, action: 'account.totp-remove', reason: factor.confirmedAt ? 'active authenticator app' : 'pending enrolment' });
  }

  /** The code step of a sign-in (SignInService): null when accepted, else the refusal for the audit trail. */
  async acceptSignInCode(user: AuthUser, code: string): Promise<string | null> {
    const factor = await this.factors.findOf(user.userId);
    if (!factor?.confirmedAt) return 'no active authenticator app on this account';
    return this.accept(user, factor, code, true);
  }

  /** Checks the code, then records its step as used: a code of that step, or an earlier one, is refused from then on. */
  private async accept(user: AuthUser, factor: TotpFactorRow, code: string, isConfirmed: boolean): Promise<string | null> {
    const secret = this.openSecret(user, factor);
    if (!secret) return 'the sealed secret does not open with this server’s key (TOTP_SECRET_KEY changed?)';
    const check = checkCode(secret, code);
    if (check.refusal !== undefined) return check.refusal;
    const isFirstUse = await this.factors.acceptStep(user.userId, check.step, isConfirmed);
    return isFirstUse ? null : 'code of a time step already used (replay)';
  }

  /** A secret sealed under another key (or damaged) is a refused code, not a server error: its owner falls back on the recovery code. */
  private openSecret(user: AuthUser, factor: TotpFactorRow): Buffer | null {
    try {
      return this.secrets.open(user.userId, factor.sealedSecret);
    } catch {
      return null;
    }
  }
}
