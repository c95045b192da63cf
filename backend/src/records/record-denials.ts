import { Injectable } from '@nestjs/common';
import type { AuditAction } from '@phr/shared-types';
import { AuditService } from '../audit/audit.service.js';
import { ApiError } from '../common/api-error.js';
import { Db } from '../db/db.service.js';

/**
 * DESIGN 6: a record the caller may not see gets the same 404 as one that does
 * not exist, and the attempt is audited in the owner's trail (or, when there
 * is no such record, in the caller's own).
 */
@Injectable()
export class RecordDenials {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
  ) {}

  async notFound(recordId: string, action: AuditAction): Promise<never> {
    const [row] = await this.db.manager().query<Array<{ owner: string | null }>>('SELECT record_owner($1) AS owner', [recordId]);
    const { userId, role } = this.db.actor();
    const caller = userId as string;
    const owner = row?.owner ?? null;
    this.audit.deny({
      subjectId: owner ?? caller,
      action,
      recordId,
      reason: owner === null ? 'no such record' : owner === caller ? 'not available' : role === 'doctor' ? 'no active consent and wrap' : 'not the owner',
    });
    throw ApiError.notFound('No such record');
  }
}
