import { Injectable } from '@nestjs/common';
import { Db } from '../db/db.service.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type TargetKind = 'record' | 'consent' | 'folder' | 'securityKey';

const OWNER_FUNCTION: Record<TargetKind, string> = {
  record: 'record_owner',
  consent: 'consent_patient',
  folder: 'folder_owner',
  securityKey: 'security_key_owner',
};

/**
 * Whose trail an attempt belongs in (DESIGN 7: every attempt on a patient's
 * data is filed in that patient's trail, with the target's id), for targets
 * the caller may not be allowed to see: each lookup is a definer function
 * that names the owner of an id and nothing else. A malformed id names nobody.
 */
@Injectable()
export class AttemptOwners {
  constructor(private readonly db: Db) {}

  async ownerOf(kind: TargetKind, id: string): Promise<string | null> {
    if (!UUID.test(id)) return null;
    // The function name comes from the fixed table above, never from input.
    const [row] = await this.db.manager().query<Array<{ owner: string | null }>>(`SELECT ${OWNER_FUNCTION[kind]}($1) AS owner`, [id.toLowerCase()]);
    return row?.owner ?? null;
  }

  /** Whether a subject's trail exists: an id that names nobody gets no chain started for it. */
  async hasTrail(subjectId: string): Promise<boolean> {
    if (!UUID.test(subjectId)) return false;
    // A definer function: the caller may not read the head itself (only auditors read others' trails).
    const [row] = await this.db.manager().query<Array<{ exists: boolean }>>('SELECT audit_trail_exists($1) AS exists', [subjectId.toLowerCase()]);
    return row?.exists === true;
  }
}
