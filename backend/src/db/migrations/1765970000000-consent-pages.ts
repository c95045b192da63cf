import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * GET /consents in pages (docs/protocol.md "Consents"): a page is read newest first by keyset
 * (created_at, id) from an index per party, and the names shown on it are asked for those
 * parties only. Before, every request read the caller's whole list and every name of every
 * counter-party (consent_party_names()), which a doctor with hundreds of patients paid on each
 * visit (the 30-minute soak's two statement timeouts).
 *
 * consents_patient (patient_id) is replaced by the keyset index, which starts with the same column.
 */
export class ConsentPages1765970000000 implements MigrationInterface {
  name = 'ConsentPages1765970000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE INDEX consents_patient_newest ON consents (patient_id, created_at DESC, id DESC);
      CREATE INDEX consents_doctor_newest ON consents (doctor_id, created_at DESC, id DESC);
      DROP INDEX consents_patient;

      -- The display names of the given users that are the other party of one of the caller's consents; nobody else's.
      CREATE FUNCTION consent_party_names(p_ids uuid[])
        RETURNS TABLE (id uuid, display_name text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT u.id, u.display_name FROM users u
           WHERE u.id = ANY (p_ids)
             AND EXISTS (SELECT 1 FROM consents c
                         WHERE (c.patient_id = app_user_id() AND c.doctor_id = u.id)
                            OR (c.doctor_id = app_user_id() AND c.patient_id = u.id)) $$;
      REVOKE ALL ON FUNCTION consent_party_names(uuid[]) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION consent_party_names(uuid[]) TO phr_app;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP FUNCTION IF EXISTS consent_party_names(uuid[]);
      CREATE INDEX IF NOT EXISTS consents_patient ON consents (patient_id);
      DROP INDEX IF EXISTS consents_doctor_newest;
      DROP INDEX IF EXISTS consents_patient_newest;
    `);
  }
}
