import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Consent and sharing (DESIGN 5, 6): a patient's consent lets one doctor read
 * one record, a folder, or everything, until it is revoked or expires. A
 * doctor reads a record only with an active, unexpired consent covering it
 * and a wrap of its file key for that doctor; both are checked here too, in
 * RLS, so a guard that is skipped still reads nothing.
 */
export class Consents1764200000000 implements MigrationInterface {
  name = 'Consents1764200000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE users ADD COLUMN specialty text;

      CREATE TABLE consents (
        id uuid PRIMARY KEY,
        patient_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        doctor_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        scope text NOT NULL CHECK (scope IN ('record', 'folder', 'all')),
        record_id uuid REFERENCES records (id) ON DELETE CASCADE,
        folder_id uuid REFERENCES folders (id) ON DELETE CASCADE,
        purpose text,
        expires_at timestamptz,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked', 'expired')),
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        CHECK ((scope = 'record') = (record_id IS NOT NULL)),
        CHECK ((scope = 'folder') = (folder_id IS NOT NULL))
      );
      CREATE INDEX consents_patient ON consents (patient_id);
      CREATE INDEX consents_doctor ON consents (doctor_id, status);
      CREATE INDEX consents_expiry ON consents (expires_at) WHERE status = 'active';

      -- Does an active, unexpired consent of this doctor cover this record?
      CREATE FUNCTION consent_covers(p_doctor uuid, p_owner uuid, p_record uuid, p_folder uuid) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT EXISTS (
             SELECT 1 FROM consents c
             WHERE c.doctor_id = p_doctor AND c.patient_id = p_owner AND c.status = 'active'
               AND (c.expires_at IS NULL OR c.expires_at > now())
               AND (c.scope = 'all' OR (c.scope = 'record' AND c.record_id = p_record) OR (c.scope = 'folder' AND c.folder_id = p_folder))) $$;
    `);

    await db.query(`
      ALTER TABLE consents ENABLE ROW LEVEL SECURITY;
      CREATE POLICY consents_parties ON consents FOR SELECT USING (patient_id = app_user_id() OR doctor_id = app_user_id());
      CREATE POLICY consents_patient_insert ON consents FOR INSERT WITH CHECK (patient_id = app_user_id() AND app_role() = 'patient');
      CREATE POLICY consents_patient_update ON consents FOR UPDATE USING (patient_id = app_user_id() AND app_role() = 'patient');

      -- A consented doctor sees the record row and their own wrap, nothing else of the patient's.
      CREATE POLICY records_consented_doctor ON records FOR SELECT
        USING (app_role() = 'doctor' AND consent_covers(app_user_id(), owner_id, id, folder_id));
      CREATE POLICY record_wraps_recipient ON record_wraps FOR SELECT
        USING (recipient_id = app_user_id() AND app_role() = 'doctor');

      GRANT SELECT, INSERT, UPDATE ON consents TO phr_app;
      REVOKE ALL ON FUNCTION consent_covers(uuid, uuid, uuid, uuid) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION consent_covers(uuid, uuid, uuid, uuid) TO phr_app;
    `);

    // Outside any one user's context: doctors a patient may search for, names of the other
    // party of one's consents, and the sweep of expired consents.
    await db.query(`
      CREATE FUNCTION search_doctors(p_query text, p_limit integer)
        RETURNS TABLE (id uuid, display_name text, specialty text, public_key text, fingerprint text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT u.id, u.display_name, u.specialty, k.public_key, k.fingerprint
           FROM users u JOIN public_keys k ON k.user_id = u.id
           WHERE u.role = 'doctor' AND app_role() = 'patient'
             AND (u.display_name ILIKE '%' || p_query || '%' OR u.email ILIKE '%' || p_query || '%')
           ORDER BY u.display_name, u.id LIMIT p_limit $$;
      CREATE FUNCTION consent_party_names()
        RETURNS TABLE (id uuid, display_name text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT u.id, u.display_name FROM users u
           WHERE u.id IN (SELECT doctor_id FROM consents WHERE patient_id = app_user_id()
                          UNION SELECT patient_id FROM consents WHERE doctor_id = app_user_id()) $$;
      CREATE FUNCTION is_doctor(p_user uuid) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT EXISTS (SELECT 1 FROM users WHERE id = p_user AND role = 'doctor') $$;
      CREATE FUNCTION expired_consents(p_limit integer)
        RETURNS TABLE (id uuid, patient_id uuid, doctor_id uuid)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT id, patient_id, doctor_id FROM consents
           WHERE status = 'active' AND expires_at <= now() ORDER BY expires_at LIMIT p_limit $$;
      REVOKE ALL ON FUNCTION search_doctors(text, integer), consent_party_names(), is_doctor(uuid), expired_consents(integer) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION search_doctors(text, integer), consent_party_names(), is_doctor(uuid), expired_consents(integer) TO phr_app;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP FUNCTION IF EXISTS expired_consents(integer), is_doctor(uuid), consent_party_names(), search_doctors(text, integer);
      DROP POLICY IF EXISTS record_wraps_recipient ON record_wraps;
      DROP POLICY IF EXISTS records_consented_doctor ON records;
      DROP TABLE IF EXISTS consents;
      DROP FUNCTION IF EXISTS consent_covers(uuid, uuid, uuid, uuid);
      ALTER TABLE users DROP COLUMN IF EXISTS specialty;
    `);
  }
}
