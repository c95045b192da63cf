import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Three mends from reviewing docs/protocol.md against the code:
 *
 * - A break-glass setup took any account with a key as a holder (it checked only that the key
 *   was the holder's current one), while the look-up offers only another patient or an approved
 *   clinician: an auditor, an operator or a clinician whose approval does not stand could be
 *   named by id. `emergency_holders_allowed` answers, for the ids a setup names, those that may
 *   hold a share, by the look-up's own rule; definer, as a patient cannot read the clinicians
 *   table.
 * - Deleting a record or a folder ends the consents over it first (SharesEndedByDeletion) and
 *   the database's ON DELETE CASCADE then deletes them: both look consents up by record_id or
 *   folder_id, and trusted contacts by folder_id, which no index served, so each deletion read
 *   every consent of the system. Partial indexes, as most consents name neither.
 * - contact_candidate_by_id has had no caller since naming a trusted contact needs the email
 *   that found them.
 */
export class HoldersAndShareEnds1766050000000 implements MigrationInterface {
  name = 'HoldersAndShareEnds1766050000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION emergency_holders_allowed(p_ids uuid[]) RETURNS TABLE (id uuid)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT u.id FROM users u JOIN public_keys k ON k.user_id = u.id LEFT JOIN clinicians c ON c.user_id = u.id
            WHERE app_role() = 'patient' AND u.id = ANY (p_ids) AND u.id <> app_user_id()
              AND (u.role = 'patient' OR (u.role = 'doctor' AND c.status = 'approved')) $$;
      REVOKE ALL ON FUNCTION emergency_holders_allowed(uuid[]) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION emergency_holders_allowed(uuid[]) TO phr_app;

      CREATE INDEX consents_record ON consents (record_id) WHERE record_id IS NOT NULL;
      CREATE INDEX consents_folder ON consents (folder_id) WHERE folder_id IS NOT NULL;
      CREATE INDEX trusted_contacts_folder ON trusted_contacts (folder_id) WHERE folder_id IS NOT NULL;

      DROP FUNCTION contact_candidate_by_id(uuid);
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION contact_candidate_by_id(p_id uuid) RETURNS TABLE (id uuid, display_name text, public_key text, fingerprint text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT u.id, u.display_name, k.public_key, k.fingerprint FROM users u JOIN public_keys k ON k.user_id = u.id
            WHERE u.id = p_id AND u.role = 'patient' AND app_role() = 'patient' AND u.id <> app_user_id() $$;
      REVOKE ALL ON FUNCTION contact_candidate_by_id(uuid) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION contact_candidate_by_id(uuid) TO phr_app;
      DROP INDEX IF EXISTS trusted_contacts_folder;
      DROP INDEX IF EXISTS consents_folder;
      DROP INDEX IF EXISTS consents_record;
      DROP FUNCTION IF EXISTS emergency_holders_allowed(uuid[]);
    `);
  }
}
