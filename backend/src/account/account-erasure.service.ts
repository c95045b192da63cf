import { Injectable } from '@nestjs/common';
import type { AccountErasureReceipt, EraseAccountRequest } from '@phr/shared-types';
import { AuditService } from '../audit/audit.service.js';
import { Reauthentication } from '../auth/credentials/reauthentication.service.js';
import type { AuthUser } from '../identity/auth-user.js';
import { ApiError } from '../common/api-error.js';
import { Db } from '../db/db.service.js';
import { KeyDirectory } from '../key-directory/key-directory.service.js';
import { segmentObjectKeys } from '../records/object-keys.js';
import { ObjectDeletions } from '../storage/object-deletions.service.js';
import { UsersRepository } from '../users/users.repository.js';
import { ConsentsRepository, type ErasedConsent } from '../access/consents.repository.js';
import { FoldersRepository } from '../access/folders.repository.js';
import { RecordsRepository, type StoredRecordLayout } from '../access/records.repository.js';
import { UploadsRepository } from '../access/uploads.repository.js';

/** What goes with an account: its rows (by cascade) and the objects the rows name. */
interface ErasureScope {
  records: StoredRecordLayout[];
  uploads: StoredRecordLayout[];
  folders: number;
  consents: ErasedConsent[];
}

/**
 * Erasure of the caller's own account (GDPR Art. 17; docs/erasure.md).
 *
 * One transaction: the `users` row is deleted and the foreign keys cascade to
 * everything else (migration 1764560000000); the audit trail has no foreign
 * key to `users` and stays, with one more row saying who erased what and why,
 * and the key directory gets a binding of the account to no key.
 * The objects are queued in that transaction and removed after it committed,
 * as DELETE /records/:id does (ObjectDeletions): by this request while the
 * store answers, otherwise by the sweep. A crash before the commit leaves the
 * account whole; one after it leaves queued objects the sweep removes.
 */
@Injectable()
export class AccountErasureService {
  constructor(
    private readonly db: Db,
    private readonly records: RecordsRepository,
    private readonly uploads: UploadsRepository,
    private readonly folders: FoldersRepository,
    private readonly consents: ConsentsRepository,
    private readonly users: UsersRepository,
    private readonly auth: Reauthentication,
    private readonly deletions: ObjectDeletions,
    private readonly audit: AuditService,
    private readonly keyDirectory: KeyDirectory,
  ) {}

  async erase(user: AuthUser, request: EraseAccountRequest): Promise<AccountErasureReceipt> {
    const { receipt, objectKeys } = await this.db.transaction(() => this.eraseRows(user, request));
    await this.deletions.removeNow(objectKeys);
    return receipt;
  }

  private async eraseRows(user: AuthUser, request: EraseAccountRequest): Promise<{ receipt: AccountErasureReceipt; objectKeys: string[] }> {
    await this.auth.proveCurrentPassword(user, request.currentAuthKey, 'account.erase');
    const scope = await this.scopeOf(user);
    await this.endConsentsNamingDoctor(user, scope.consents);

    // A second erasure racing the first finds nothing left to delete.
    if (!(await this.users.delete(user.userId))) throw ApiError.unauthenticated('This account no longer exists');
    // The key directory says the account has no key any more, so no one wraps for the old one (DESIGN 4.5).
    await this.keyDirectory.bind({ userId: user.userId, role: user.role, publicKey: null });

    const objects = [
      ...[...scope.records, ...scope.uploads].flatMap((stored) =>
        segmentObjectKeys(stored.recordId, stored.size, stored.chunkBytes).map((objectKey) => ({ recordId: stored.recordId, objectKey })),
      ),
    ];
    const objectKeys = objects.map((object) => object.objectKey);
    await this.deletions.queue(user.userId, objects);
    const receipt: AccountErasureReceipt = {
      erasedAt: new Date().toISOString(),
      records: scope.records.length,
      uploads: scope.uploads.length,
      folders: scope.folders,
      consents: scope.consents.length,
      objects: objectKeys.length,
    };
    await this.audit.allow({ subjectId: user.userId, action: 'account.erase', reason: erasureReason(receipt, request.reason) });
    return { receipt, objectKeys };
  }

  private async scopeOf(user: AuthUser): Promise<ErasureScope> {
    return {
      records: await this.records.layoutsOwnedBy(user.userId),
      uploads: await this.uploads.layoutsOwnedBy(user.userId),
      folders: await this.folders.countOwnedBy(user.userId),
      consents: await this.consents.partyTo(user.userId),
    };
  }

  /**
   * A doctor's erasure ends the consents that named them (the rows go with the
   * account); each patient's own trail says so, since the patient did not act.
   */
  private async endConsentsNamingDoctor(user: AuthUser, consents: ErasedConsent[]): Promise<void> {
    const inEffect = consents.filter((consent) => consent.doctorId === user.userId && consent.inForce);
    for (const consent of inEffect) {
      await this.audit.allow({ subjectId: consent.patientId, action: 'consent.revoke', consentId: consent.id, reason: 'the doctor erased their account' });
    }
  }
}

function erasureReason(receipt: AccountErasureReceipt, reason: string | undefined): string {
  const erased = `erased ${receipt.records} record(s), ${receipt.uploads} upload(s), ${receipt.folders} folder(s), ${receipt.consents} consent(s), ${receipt.objects} object(s)`;
  return `${erased}; reason: ${reason?.trim() || 'none given'}`;
}
