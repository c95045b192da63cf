import { Injectable } from '@nestjs/common';
import type { AccountErasureReceipt, EraseAccountRequest } from '@phr/shared-types';
import { AuditService } from '../audit/audit.service.js';
import { Reauthentication } from '../auth/credentials/reauthentication.service.js';
import type { AuthUser } from '../identity/auth-user.js';
import { ApiError } from '../common/api-error.js';
import { ConsentEntity, effectiveStatus } from '../consents/consent.entity.js';
import { Db } from '../db/db.service.js';
import { FolderEntity } from '../folders/folder.entity.js';
import { KeyDirectory } from '../key-directory/key-directory.service.js';
import { RecordEntity } from '../records/entities/record.entity.js';
import { UploadEntity } from '../records/entities/upload.entity.js';
import { segmentObjectKeys } from '../records/object-keys.js';
import { ObjectDeletions } from '../storage/object-deletions.service.js';
import { UserEntity } from '../users/user.entity.js';

/** What goes with an account: its rows (by cascade) and the objects the rows name. */
interface ErasureScope {
  records: RecordEntity[];
  uploads: UploadEntity[];
  folders: number;
  consents: ConsentEntity[];
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

    const deleted = await this.db.manager().getRepository(UserEntity).delete({ id: user.userId });
    // A second erasure racing the first finds nothing left to delete.
    if (deleted.affected !== 1) throw ApiError.unauthenticated('This account no longer exists');
    // The key directory says the account has no key any more, so no one wraps for the old one (DESIGN 4.5).
    await this.keyDirectory.bind({ userId: user.userId, role: user.role, publicKey: null });

    const objects = [
      ...scope.records.flatMap((record) => segmentObjectKeys(record.id, record.size, record.chunkBytes).map((objectKey) => ({ recordId: record.id, objectKey }))),
      ...scope.uploads.flatMap((upload) => segmentObjectKeys(upload.recordId, upload.size, upload.chunkBytes).map((objectKey) => ({ recordId: upload.recordId, objectKey }))),
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

  /**
   * Read under the caller's RLS context. Ownership is filtered explicitly: a
   * doctor also sees the records their consents cover, which are not theirs.
   */
  private async scopeOf(user: AuthUser): Promise<ErasureScope> {
    const manager = this.db.manager();
    return {
      records: await manager.getRepository(RecordEntity).find({ where: { ownerId: user.userId }, select: { id: true, size: true, chunkBytes: true } }),
      uploads: await manager.getRepository(UploadEntity).find({ where: { ownerId: user.userId }, select: { recordId: true, size: true, chunkBytes: true } }),
      folders: await manager.getRepository(FolderEntity).countBy({ ownerId: user.userId }),
      consents: await manager.getRepository(ConsentEntity).find({ where: [{ patientId: user.userId }, { doctorId: user.userId }] }),
    };
  }

  /**
   * A doctor's erasure ends the consents that named them (the rows go with the
   * account); each patient's own trail says so, since the patient did not act.
   */
  private async endConsentsNamingDoctor(user: AuthUser, consents: ConsentEntity[]): Promise<void> {
    const inEffect = consents.filter((consent) => consent.doctorId === user.userId && effectiveStatus(consent) === 'active');
    for (const consent of inEffect) {
      await this.audit.allow({ subjectId: consent.patientId, action: 'consent.revoke', consentId: consent.id, reason: 'the doctor erased their account' });
    }
  }
}

function erasureReason(receipt: AccountErasureReceipt, reason: string | undefined): string {
  const erased = `erased ${receipt.records} record(s), ${receipt.uploads} upload(s), ${receipt.folders} folder(s), ${receipt.consents} consent(s), ${receipt.objects} object(s)`;
  return `${erased}; reason: ${reason?.trim() || 'none given'}`;
}
