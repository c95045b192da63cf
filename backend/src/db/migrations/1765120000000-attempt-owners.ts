import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every attempt on a patient's data belongs in that patient's trail, with the
 * target's id (DESIGN 7), including attempts the caller may not see the target
 * of: a doctor's refused DELETE of a record, another patient's revoke of a
 * consent, a grant over someone else's folder, a removal of another account's
 * security key. These definer functions name only the owner of an id, as
 * `record_owner` does for records, and nothing else.
 */
export class AttemptOwners1765120000000 implements MigrationInterface {
  name = 'AttemptOwners1765120000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION consent_patient(p_consent uuid) RETURNS uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT patient_id FROM consents WHERE id = p_consent $$;
      CREATE FUNCTION folder_owner(p_folder uuid) RETURNS uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT owner_id FROM folders WHERE id = p_folder $$;
      CREATE FUNCTION security_key_owner(p_key uuid) RETURNS uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT user_id FROM security_keys WHERE id = p_key $$;
      -- Whether an id has a trail (one row or more): a refused read of someone's trail is filed there.
      CREATE FUNCTION audit_trail_exists(p_subject uuid) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT EXISTS (SELECT 1 FROM audit_chain_heads WHERE subject_id = p_subject AND seq > 0) $$;
      REVOKE ALL ON FUNCTION consent_patient(uuid), folder_owner(uuid), security_key_owner(uuid), audit_trail_exists(uuid) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION consent_patient(uuid), folder_owner(uuid), security_key_owner(uuid), audit_trail_exists(uuid) TO phr_app;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP FUNCTION IF EXISTS audit_trail_exists(uuid), security_key_owner(uuid), folder_owner(uuid), consent_patient(uuid)');
  }
}
