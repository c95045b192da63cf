import { Injectable } from '@nestjs/common';
import { Db } from '../db/db.service.js';

/**
 * A new record's side of break-glass (docs/protocol.md "Break-glass"): the patient's emergency key
 * where break-glass reaches, and the record's emergency wrap. RLS: the patient's own rows only.
 * The rest of `emergency_setups` and `emergency_wraps` is the emergency module's.
 */
@Injectable()
export class EmergencyWrapsRepository {
  constructor(private readonly db: Db) {}

  /** The emergency key a new record of the patient in this folder (none: null) must be wrapped for, if break-glass reaches there. */
  async keyForFolder(patientId: string, folderId: string | null): Promise<{ public_key: string; key_check: string } | null> {
    const [row] = await this.db.manager().query<Array<{ public_key: string; key_check: string }>>(
      `SELECT public_key, key_check FROM emergency_setups WHERE patient_id = $1 AND (scope = 'all' OR (scope = 'folder' AND folder_id = $2))`,
      [patientId, folderId],
    );
    return row ?? null;
  }

  async addWrap(patientId: string, recordId: string, wrap: string): Promise<void> {
    await this.db.manager().query('INSERT INTO emergency_wraps (record_id, patient_id, wrap) VALUES ($1, $2, $3)', [recordId, patientId, wrap]);
  }
}
