import { Injectable } from '@nestjs/common';
import type { ClinicianStanding, Me, PublicKeyResponse, UpdateMeRequest } from '@phr/shared-types';
import { standingOf } from '../clinicians/clinician-standing.js';
import { CliniciansRepository } from '../clinicians/clinicians.repository.js';
import { nameSkeleton, normaliseName } from '../clinicians/name-check.js';
import type { AuthUser } from '../identity/auth-user.js';
import { AuditService } from '../audit/audit.service.js';
import { ApiError } from '../common/api-error.js';
import { PublicKeysRepository } from './public-keys.repository.js';
import { UsersRepository, type UserDetails, type UserRow } from './users.repository.js';

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly publicKeys: PublicKeysRepository,
    private readonly clinicians: CliniciansRepository,
    private readonly audit: AuditService,
  ) {}

  /** The signed-in user; RLS shows a user only their own row. */
  async me(userId: string): Promise<Me> {
    const user = await this.users.find(userId);
    const key = await this.publicKeys.find(userId);
    if (!user || !key) throw ApiError.unauthenticated('This account no longer exists');
    return toMe(user, key.fingerprint, await standingOf(this.clinicians, userId));
  }

  /**
   * Corrects the caller's own details (GDPR Art. 16). The audit row names the
   * fields that changed, never their values: the trail outlives an erasure.
   */
  async updateMe(caller: AuthUser, request: UpdateMeRequest): Promise<Me> {
    const changes: UserDetails = {};
    if (request.displayName !== undefined) changes.displayName = caller.role === 'doctor' ? await this.renameClinician(caller, request.displayName) : request.displayName.trim();
    if (request.specialty !== undefined) {
      if (caller.role !== 'doctor') throw ApiError.validation([{ field: 'specialty', message: 'specialty can be set only on a doctor’s account' }]);
      changes.specialty = request.specialty.trim();
    }
    const fields = Object.keys(changes);
    if (fields.length === 0) {
      const allowed = caller.role === 'doctor' ? 'displayName or specialty' : 'displayName';
      throw ApiError.validation([{ field: 'body', message: `body must contain ${allowed}` }]);
    }
    await this.users.updateDetails(caller.userId, changes);
    await this.audit.allow({ subjectId: caller.userId, action: 'account.update', reason: `changed ${fields.join(', ')}` });
    return this.me(caller.userId);
  }

  /**
   * docs/protocol.md "Clinicians": the name an operator vouched for stays as it
   * was approved (a verified doctor cannot turn into a look-alike of another);
   * while waiting, a doctor may correct it, and its skeleton follows.
   */
  private async renameClinician(caller: AuthUser, displayName: string): Promise<string> {
    const name = normaliseName(displayName);
    const standing = await this.clinicians.standing(caller.userId);
    if (standing?.status !== 'pending') {
      throw ApiError.validation([{ field: 'displayName', message: 'an operator vouched for this name: it can be changed only while the account waits for approval' }]);
    }
    await this.clinicians.updateNameSkeleton(caller.userId, nameSkeleton(name));
    return name;
  }

  async publicKey(userId: string): Promise<PublicKeyResponse> {
    const key = await this.publicKeys.find(userId);
    if (!key) throw ApiError.notFound('No such user');
    // Who fetched whose key (to wrap file keys for it) stands in the key owner's trail.
    await this.audit.allow({ subjectId: key.userId, action: 'key.read' });
    return { userId: key.userId, algorithm: 'RSA-OAEP-SHA256', publicKey: key.publicKey, fingerprint: key.fingerprint };
  }
}

export function toMe(user: UserRow, fingerprint: string, clinician: ClinicianStanding | null): Me {
  return {
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    role: user.role,
    specialty: user.specialty,
    fingerprint,
    createdAt: user.createdAt.toISOString(),
    clinician,
  };
}
