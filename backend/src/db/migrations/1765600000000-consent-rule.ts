import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The consent rule, once (issue 13): whether a consent is in force, and
 * whether its scope takes in a record, are two SQL functions that every other
 * statement uses: the RLS policy on records (through consent_covers), the
 * sweep of expired consents, the operators' list of a doctor's patients, and
 * the repositories (the consent that allowed a doctor's read, the doctors a
 * new upload must be wrapped for, the records a consent covers). Before, the
 * same conditions were written out in four SQL statements and two TypeScript
 * functions.
 *
 * consent_in_force and consent_scope_includes are plain SQL functions of a
 * consents row, so the planner inlines them into the statements that call them.
 */
export class ConsentRule1765600000000 implements MigrationInterface {
  name = 'ConsentRule1765600000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION consent_in_force(c consents) RETURNS boolean
        LANGUAGE sql STABLE AS
        $$ SELECT c.status = 'active' AND (c.expires_at IS NULL OR c.expires_at > now()) $$;
      CREATE FUNCTION consent_scope_includes(c consents, p_record uuid, p_folder uuid) RETURNS boolean
        LANGUAGE sql IMMUTABLE AS
        $$ SELECT c.scope = 'all' OR (c.scope = 'record' AND c.record_id = p_record) OR (c.scope = 'folder' AND c.folder_id = p_folder) $$;

      CREATE OR REPLACE FUNCTION consent_covers(p_doctor uuid, p_owner uuid, p_record uuid, p_folder uuid) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT EXISTS (
             SELECT 1 FROM consents c
             WHERE c.doctor_id = p_doctor AND c.patient_id = p_owner AND consent_in_force(c) AND consent_scope_includes(c, p_record, p_folder)) $$;

      -- The consent a doctor's read of a record happens under: the narrowest in force (one record,
      -- then its folder, then everything), the newest of equals. Run as the doctor (RLS shows a
      -- doctor the consents that name them).
      CREATE FUNCTION covering_consent(p_doctor uuid, p_owner uuid, p_record uuid, p_folder uuid) RETURNS uuid
        LANGUAGE sql STABLE AS
        $$ SELECT c.id FROM consents c
           WHERE c.doctor_id = p_doctor AND c.patient_id = p_owner AND consent_in_force(c) AND consent_scope_includes(c, p_record, p_folder)
           ORDER BY CASE c.scope WHEN 'record' THEN 0 WHEN 'folder' THEN 1 ELSE 2 END, c.created_at DESC, c.id
           LIMIT 1 $$;

      -- The doctors a new record of this patient in this folder (NULL: none) must be wrapped for:
      -- those of every consent in force whose scope takes the folder in. Run as the patient.
      CREATE FUNCTION covering_doctors(p_owner uuid, p_folder uuid) RETURNS TABLE (doctor_id uuid)
        LANGUAGE sql STABLE AS
        $$ SELECT DISTINCT c.doctor_id FROM consents c
           WHERE c.patient_id = p_owner AND consent_in_force(c) AND consent_scope_includes(c, NULL, p_folder)
           ORDER BY c.doctor_id $$;

      CREATE OR REPLACE FUNCTION expired_consents(p_limit integer)
        RETURNS TABLE (id uuid, patient_id uuid, doctor_id uuid)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT c.id, c.patient_id, c.doctor_id FROM consents c
           WHERE c.status = 'active' AND NOT consent_in_force(c) ORDER BY c.expires_at LIMIT p_limit $$;

      CREATE OR REPLACE FUNCTION clinician_patients(p_doctor uuid) RETURNS TABLE (patient_id uuid, email text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT DISTINCT u.id, u.email FROM consents c JOIN users u ON u.id = c.patient_id
           WHERE c.doctor_id = p_doctor AND consent_in_force(c) AND app_role() = 'operator' $$;

      REVOKE ALL ON FUNCTION consent_in_force(consents), consent_scope_includes(consents, uuid, uuid),
        covering_consent(uuid, uuid, uuid, uuid), covering_doctors(uuid, uuid) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION consent_in_force(consents), consent_scope_includes(consents, uuid, uuid),
        covering_consent(uuid, uuid, uuid, uuid), covering_doctors(uuid, uuid) TO phr_app;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE OR REPLACE FUNCTION clinician_patients(p_doctor uuid) RETURNS TABLE (patient_id uuid, email text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT DISTINCT u.id, u.email FROM consents c JOIN users u ON u.id = c.patient_id
           WHERE c.doctor_id = p_doctor AND c.status = 'active' AND (c.expires_at IS NULL OR c.expires_at > now()) AND app_role() = 'operator' $$;
      CREATE OR REPLACE FUNCTION expired_consents(p_limit integer)
        RETURNS TABLE (id uuid, patient_id uuid, doctor_id uuid)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT id, patient_id, doctor_id FROM consents
           WHERE status = 'active' AND expires_at <= now() ORDER BY expires_at LIMIT p_limit $$;
      CREATE OR REPLACE FUNCTION consent_covers(p_doctor uuid, p_owner uuid, p_record uuid, p_folder uuid) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT EXISTS (
             SELECT 1 FROM consents c
             WHERE c.doctor_id = p_doctor AND c.patient_id = p_owner AND c.status = 'active'
               AND (c.expires_at IS NULL OR c.expires_at > now())
               AND (c.scope = 'all' OR (c.scope = 'record' AND c.record_id = p_record) OR (c.scope = 'folder' AND c.folder_id = p_folder))) $$;
      DROP FUNCTION IF EXISTS covering_doctors(uuid, uuid), covering_consent(uuid, uuid, uuid, uuid),
        consent_scope_includes(consents, uuid, uuid), consent_in_force(consents);
    `);
  }
}
