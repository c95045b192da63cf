import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * FHIR Consent export for auditors (issue 16; docs/protocol.md "FHIR exports"): an auditor reads
 * the consents of any one patient, as they read any trail, but never the folder labels sealed
 * for the doctor. consents' RLS shows a consent only to its parties, so audit_consents is a
 * definer function that answers auditors only, a page at a time in (created_at, id) order from
 * the keyset (p_after_created, p_after_id), by the consents_patient index.
 */
export class AuditorConsents1765920000000 implements MigrationInterface {
  name = 'AuditorConsents1765920000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION audit_consents(p_patient uuid, p_after_created timestamptz, p_after_id uuid, p_limit integer)
        RETURNS TABLE (id uuid, patient_id uuid, doctor_id uuid, scope text, record_id uuid, folder_id uuid, purpose text,
                       expires_at timestamptz, status text, in_force boolean, created_at timestamptz, revoked_at timestamptz)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
          SELECT c.id, c.patient_id, c.doctor_id, c.scope, c.record_id, c.folder_id, c.purpose, c.expires_at, c.status,
                 consent_in_force(c), c.created_at, c.revoked_at
            FROM consents c
           WHERE app_role() = 'auditor' AND c.patient_id = p_patient
             AND (p_after_created IS NULL OR (c.created_at, c.id) > (p_after_created, p_after_id))
           ORDER BY c.created_at, c.id LIMIT p_limit $$;
      REVOKE ALL ON FUNCTION audit_consents(uuid, timestamptz, uuid, integer) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION audit_consents(uuid, timestamptz, uuid, integer) TO phr_app;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP FUNCTION IF EXISTS audit_consents(uuid, timestamptz, uuid, integer)`);
  }
}
