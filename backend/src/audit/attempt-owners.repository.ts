import { Injectable } from '@nestjs/common';
import { Db } from '../db/db.service.js';

export type TargetKind = 'record' | 'consent' | 'folder' | 'securityKey' | 'trustedContact';

/** The definer function that names the owner of each kind of target (migration 1765120000000). */
const OWNER_FUNCTION: Record<TargetKind, string> = {
  record: 'record_owner',
  consent: 'consent_patient',
  folder: 'folder_owner',
  securityKey: 'security_key_owner',
  trustedContact: 'trusted_contact_patient',
};

/**
 * The owner lookups of attempts on targets the caller may not see: each is a
 * SECURITY DEFINER function that names the owner of an id and nothing else.
 */
@Injectable()
export class AttemptOwnersRepository {
  constructor(private readonly db: Db) {}

  async ownerOf(kind: TargetKind, id: string): Promise<string | null> {
    // The function name comes from the fixed table above, never from input.
    const [row] = await this.db.manager().query<Array<{ owner: string | null }>>(`SELECT ${OWNER_FUNCTION[kind]}($1) AS owner`, [id]);
    return row?.owner ?? null;
  }
}
