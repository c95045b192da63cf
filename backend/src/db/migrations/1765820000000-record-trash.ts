import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The trash (docs/protocol.md "Trash"): a record the owner deletes is marked
 * `trashed_at` and kept, restorable, for TRASH_RETENTION_DAYS; then the sweep
 * deletes its rows and queues its objects (trashed_records_due() finds them
 * across patients, as expired_uploads() does for uploads; the deletion itself
 * runs under the patient's RLS context). A record in the trash is no one's but
 * its owner's to see: the doctors' policy leaves it out, so a consent covering
 * it lists and reads nothing until it is restored (the wraps stay, so a restore
 * needs no browser).
 *
 * ended_consent_for(): a doctor's read that found nothing asks whether a
 * consent of theirs that covered the record has ended, to say so instead of
 * "No such record" (docs/protocol.md "Reads after a consent ended"). It looks
 * past RLS at the record's folder, so it answers only for the caller
 * (app_user_id()), and only about their own consents.
 */
export class RecordTrash1765820000000 implements MigrationInterface {
  name = 'RecordTrash1765820000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE records ADD COLUMN trashed_at timestamptz;
      CREATE INDEX records_trashed ON records (trashed_at) WHERE trashed_at IS NOT NULL;

      DROP POLICY records_consented_doctor ON records;
      CREATE POLICY records_consented_doctor ON records FOR SELECT
        USING (records.trashed_at IS NULL AND EXISTS (
          SELECT 1 FROM consents c
          WHERE app_role() = 'doctor' AND (SELECT is_verified_clinician(app_user_id()))
            AND c.doctor_id = app_user_id() AND c.patient_id = records.owner_id
            AND consent_in_force(c) AND consent_scope_includes(c, records.id, records.folder_id)));

      CREATE FUNCTION trashed_records_due(p_before timestamptz, p_limit integer)
        RETURNS TABLE (record_id uuid, owner_id uuid, size bigint, chunk_bytes integer)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT id, owner_id, size, chunk_bytes FROM records WHERE trashed_at < p_before ORDER BY trashed_at LIMIT p_limit $$;
      REVOKE ALL ON FUNCTION trashed_records_due(timestamptz, integer) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION trashed_records_due(timestamptz, integer) TO phr_app;

      CREATE FUNCTION ended_consent_for(p_record uuid)
        RETURNS TABLE (consent_id uuid, patient_id uuid, reason text, ended_at timestamptz)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT c.id, c.patient_id,
                  CASE WHEN c.status = 'revoked' THEN 'revoked' ELSE 'expired' END,
                  CASE WHEN c.status = 'revoked' THEN c.revoked_at ELSE c.expires_at END
           FROM consents c JOIN records r ON r.id = p_record AND r.owner_id = c.patient_id
           WHERE c.doctor_id = app_user_id() AND NOT consent_in_force(c) AND consent_scope_includes(c, r.id, r.folder_id)
           ORDER BY 4 DESC NULLS LAST LIMIT 1 $$;
      REVOKE ALL ON FUNCTION ended_consent_for(uuid) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION ended_consent_for(uuid) TO phr_app;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP FUNCTION IF EXISTS ended_consent_for(uuid);
      DROP FUNCTION IF EXISTS trashed_records_due(timestamptz, integer);
      DROP POLICY IF EXISTS records_consented_doctor ON records;
      CREATE POLICY records_consented_doctor ON records FOR SELECT
        USING (EXISTS (
          SELECT 1 FROM consents c
          WHERE app_role() = 'doctor' AND (SELECT is_verified_clinician(app_user_id()))
            AND c.doctor_id = app_user_id() AND c.patient_id = records.owner_id
            AND consent_in_force(c) AND consent_scope_includes(c, records.id, records.folder_id)));
      DROP INDEX IF EXISTS records_trashed;
      ALTER TABLE records DROP COLUMN IF EXISTS trashed_at;
    `);
  }
}
