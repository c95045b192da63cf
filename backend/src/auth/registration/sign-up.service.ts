import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { FieldError, RegisterInvitedRequest, RegisterRequest, Role } from '@phr/shared-types';
import { AuditService } from '../../audit/audit.service.js';
import { standingOf } from '../../clinicians/clinician-standing.js';
import { CliniciansRepository } from '../../clinicians/clinicians.repository.js';
import { nameSkeleton, normaliseName } from '../../clinicians/name-check.js';
import { ApiError } from '../../common/api-error.js';
import { isUniqueViolation } from '../../db/database-errors.js';
import { Db } from '../../db/db.service.js';
import type { AuthUser } from '../../identity/auth-user.js';
import { normalizeEmail } from '../../identity/email.js';
import { invitationHash, invitationRef } from '../../identity/invitation-codes.js';
import { assertKeyMaterial, checkRsaPublicKey, checkSealedBlob, fingerprintOf } from '../../identity/key-material.js';
import { KeyDirectory } from '../../key-directory/key-directory.service.js';
import { PublicKeysRepository } from '../../users/public-keys.repository.js';
import { UsersRepository } from '../../users/users.repository.js';
import { CredentialsRepository } from '../credentials/credentials.repository.js';
import { PasswordHasher } from '../credentials/password-hasher.js';
import { SessionStarter, type DeviceToken, type RefreshToken, type SessionResult } from '../sessions/session-starter.js';
import { InvitationClaimsRepository } from './invitation-claims.repository.js';
import { RegistrationService } from './registration.service.js';

/** Making an account (DESIGN 4.1): from a registration mail's token, or from an invitation. */
@Injectable()
export class SignUpService {
  constructor(
    private readonly db: Db,
    private readonly registration: RegistrationService,
    private readonly invitations: InvitationClaimsRepository,
    private readonly users: UsersRepository,
    private readonly publicKeys: PublicKeysRepository,
    private readonly clinicians: CliniciansRepository,
    private readonly credentials: CredentialsRepository,
    private readonly hasher: PasswordHasher,
    private readonly keyDirectory: KeyDirectory,
    private readonly sessionStarter: SessionStarter,
    private readonly audit: AuditService,
  ) {}

  /**
   * The second step of a registration, from the mail's link: the token proves
   * the email (RegistrationService). A token that is unknown, used, expired or
   * made for another email, and an email that has an account by now, get the
   * same 400: the answer tells nothing the mail did not.
   */
  async register(request: RegisterRequest, deviceToken: DeviceToken, replacing: RefreshToken): Promise<SessionResult> {
    assertAccountKeyMaterial(request);
    assertClinicianFields(request);
    const email = normalizeEmail(request.email);
    if (!(await this.registration.claim(request.registrationToken, email))) throw ApiError.validation([REGISTRATION_TOKEN_REFUSED]);
    const isDoctor = request.role === 'doctor';
    const displayName = isDoctor ? normaliseName(request.displayName) : request.displayName;
    // If the account cannot be made, the transaction rolls back and the token stays unused.
    const result = await this.createAccount(request, email, request.role, displayName, isDoctor ? request.specialty : undefined, REGISTRATION_TOKEN_REFUSED, deviceToken, replacing);
    if (isDoctor) {
      // docs/protocol.md "Clinicians": a doctor's own registration waits for an operator.
      const clinician = { userId: result.body.user.id, licence: (request.licence as string).trim(), organisation: (request.organisation as string).trim() };
      await this.clinicians.insertRequest({ ...clinician, nameSkeleton: nameSkeleton(displayName), requestedAt: new Date() });
      // The trail outlives an erasure and holds no names or numbers of the person (docs/erasure.md).
      await this.audit.allow({ subjectId: clinician.userId, action: 'clinician.request', reason: 'licence and organisation given; waits for an operator' });
      result.body.user.clinician = await standingOf(this.clinicians, clinician.userId);
    }
    return result;
  }

  /**
   * Redeems a one-time invitation: an auditor's or operator's from the command
   * line (backend/src/cli/invitations.ts), or a clinician's from an operator
   * (POST /clinicians/invitations), approved from the start by that operator.
   * The invitation proves the email too, and names the role.
   */
  async registerInvited(request: RegisterInvitedRequest, deviceToken: DeviceToken, replacing: RefreshToken): Promise<SessionResult> {
    assertAccountKeyMaterial(request);
    const email = normalizeEmail(request.email);
    const hash = invitationHash(request.invitation);
    const claimed = await this.invitations.claim(hash, email);
    if (!claimed) {
      throw ApiError.validation([{ field: 'invitation', message: 'This invitation is unknown, used, expired or for another email' }]);
    }
    // If the account cannot be made, the transaction rolls back and the invitation stays unused.
    const result = await this.createAccount(request, email, claimed.role, claimed.display_name, claimed.specialty ?? undefined, {
      field: 'invitation',
      message: 'This invitation cannot be redeemed: its email already has an account; ask the operator for another',
    }, deviceToken, replacing);
    if (claimed.role === 'doctor') {
      const userId = result.body.user.id;
      if (!(await this.clinicians.enrolInvited(hash, nameSkeleton(claimed.display_name)))) {
        throw new Error('The claimed clinician invitation did not enrol the new account');
      }
      await this.audit.allow({
        subjectId: userId,
        action: 'clinician.invite',
        reason: `invitation ${invitationRef(hash)}, approved by operator ${claimed.invited_by ?? 'no longer on record'}`,
      });
      result.body.user.clinician = await standingOf(this.clinicians, userId);
    }
    return result;
  }

  /** `emailTaken`: the answer when the proven email has an account after all (a race, or an account made since). */
  private async createAccount(
    request: Omit<RegisterRequest, 'registrationToken' | 'role' | 'displayName' | 'specialty'>,
    email: string,
    role: Role,
    displayName: string,
    specialty: string | undefined,
    emailTaken: FieldError,
    deviceToken: DeviceToken, replacing: RefreshToken,
  ): Promise<SessionResult> {
    if (await this.users.findAccountByEmail(email)) throw ApiError.validation([emailTaken]);
    const user: AuthUser = { userId: randomUUID(), role };
    await this.db.becomeActor(user);
    const [authHash, recoveryAuthHash] = await Promise.all([
      this.hasher.hash(request.authKey),
      this.hasher.hash(request.recovery.recoveryAuthKey),
    ]);
    await this.users
      .insert({ id: user.userId, email, displayName: displayName.trim(), role: user.role, specialty: specialty?.trim() || null })
      .catch((error: unknown) => {
        // Two registrations of one email at once: the unique index decides.
        if (isUniqueViolation(error)) throw ApiError.validation([emailTaken]);
        throw error;
      });
    await this.credentials.insert({
      userId: user.userId,
      authHash,
      kdfIterations: request.kdf.iterations,
      kdfSalt: request.kdf.salt,
      wrappedAccountKey: request.keys.wrappedAccountKey,
      wrappedPrivateKey: request.keys.wrappedPrivateKey,
      recoveryAuthHash,
      recoveryWrappedAccountKey: request.recovery.recoveryWrappedAccountKey,
    });
    await this.publicKeys.insert({
      userId: user.userId,
      publicKey: request.keys.publicKey,
      fingerprint: fingerprintOf(request.keys.publicKey),
    });
    // DESIGN 4.5: the binding of the new account to its key goes into the key directory, in this transaction.
    await this.keyDirectory.bind({ userId: user.userId, role: user.role, publicKey: request.keys.publicKey });
    // Demonstrable consent (GDPR Art. 7(1)): which notice was accepted, when, from where, in the hash-chained trail.
    await this.audit.allow({ subjectId: user.userId, action: 'account.register', reason: `privacy notice ${request.privacyNoticeVersion} accepted` });
    return this.sessionStarter.start(user, 'account.register', deviceToken, false, replacing);
  }
}

/** A doctor names a licence and an organisation (an operator checks them); no one else does. */
function assertClinicianFields(request: RegisterRequest): void {
  const problems: FieldError[] = [];
  for (const field of ['licence', 'organisation'] as const) {
    const given = request[field] !== undefined;
    if (request.role === 'doctor' && !given) problems.push({ field, message: `${field} is required for a doctor: an operator checks it before patients can find you` });
    if (request.role !== 'doctor' && given) problems.push({ field, message: `${field} can be given only by a doctor` });
  }
  if (problems.length) throw ApiError.validation(problems);
}

/** The answer to a registration whose token cannot be used, for whatever reason. */
const REGISTRATION_TOKEN_REFUSED: FieldError = {
  field: 'registrationToken',
  message: 'This registration link is unknown, used or expired, or was made for another email; start the registration again',
};

function assertAccountKeyMaterial(request: Pick<RegisterRequest, 'keys' | 'recovery'>): void {
  assertKeyMaterial([
    checkSealedBlob('keys.wrappedAccountKey', request.keys.wrappedAccountKey),
    checkSealedBlob('keys.wrappedPrivateKey', request.keys.wrappedPrivateKey),
    checkSealedBlob('recovery.recoveryWrappedAccountKey', request.recovery.recoveryWrappedAccountKey),
    checkRsaPublicKey('keys.publicKey', request.keys.publicKey),
  ]);
}
