import type { MigrationInterface, QueryRunner } from 'typeorm';
import { remakeNotifiable } from './1765810000000-notifications.js';

/**
 * Break-glass for clinicians (issue 16, docs/protocol.md "Break-glass"):
 *
 * - `emergency_setups`: per patient, the scope (off, one folder, all), the emergency public key,
 *   its private key sealed under the emergency secret (the server cannot open it), k, the time
 *   box and a generation counted up with every new emergency key.
 * - `emergency_holders`: each holder's Shamir share of the emergency secret, wrapped for the
 *   holder's public key. `emergency_wraps`: the file keys in scope wrapped for the emergency key.
 * - `emergency_breaks`: a clinician's break with its reason, time box and the auditor's review;
 *   `emergency_releases`: a holder's share re-wrapped for that clinician.
 * - A clinician never reads `emergency_setups` or `emergency_wraps` directly: the definer
 *   functions below are the one rule (approved clinician, their own break, in its time box, of
 *   the current generation, k shares released, the record in scope).
 * - Notifications: a break-glass and a request for a holder's share are notifiable rows (the
 *   partial index, the mail trigger and the mail job are re-made with the new NOTIFIABLE_SQL).
 */
export class BreakGlass1765910000000 implements MigrationInterface {
  name = 'BreakGlass1765910000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE emergency_setups (
        patient_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        scope text NOT NULL CHECK (scope IN ('off', 'folder', 'all')),
        folder_id uuid REFERENCES folders (id) ON DELETE SET NULL,
        public_key text,
        fingerprint text,
        sealed_private_key text,
        key_check text,
        threshold integer CHECK (threshold >= 1),
        hours integer NOT NULL DEFAULT 24 CHECK (hours BETWEEN 1 AND 72),
        generation integer NOT NULL DEFAULT 1,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((scope = 'off') = (public_key IS NULL) AND (public_key IS NULL) = (sealed_private_key IS NULL) AND (public_key IS NULL) = (key_check IS NULL) AND (public_key IS NULL) = (threshold IS NULL))
      );
      CREATE TABLE emergency_holders (
        patient_id uuid NOT NULL REFERENCES emergency_setups (patient_id) ON DELETE CASCADE,
        holder_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        fingerprint text NOT NULL,
        share text NOT NULL,
        PRIMARY KEY (patient_id, holder_id)
      );
      CREATE INDEX emergency_holders_holder ON emergency_holders (holder_id);
      CREATE TABLE emergency_wraps (
        record_id uuid PRIMARY KEY REFERENCES records (id) ON DELETE CASCADE,
        patient_id uuid NOT NULL REFERENCES emergency_setups (patient_id) ON DELETE CASCADE,
        wrap text NOT NULL
      );
      CREATE INDEX emergency_wraps_patient ON emergency_wraps (patient_id);
      CREATE TABLE emergency_breaks (
        id uuid PRIMARY KEY,
        patient_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        clinician_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        reason_code text NOT NULL CHECK (reason_code IN ('ETREAT', 'ERTREAT', 'BTG', 'PATRQT')),
        reason_text text NOT NULL,
        scope text NOT NULL CHECK (scope IN ('folder', 'all')),
        threshold integer NOT NULL,
        generation integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        ended_at timestamptz,
        review_outcome text CHECK (review_outcome IN ('justified', 'not-justified')),
        review_note text,
        reviewed_by uuid,
        reviewed_at timestamptz
      );
      CREATE INDEX emergency_breaks_patient ON emergency_breaks (patient_id, created_at DESC);
      CREATE INDEX emergency_breaks_clinician ON emergency_breaks (clinician_id, created_at DESC);
      CREATE INDEX emergency_breaks_unreviewed ON emergency_breaks (created_at) WHERE reviewed_at IS NULL;
      CREATE TABLE emergency_releases (
        break_id uuid NOT NULL REFERENCES emergency_breaks (id) ON DELETE CASCADE,
        holder_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        share text NOT NULL,
        released_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (break_id, holder_id)
      );

      ALTER TABLE emergency_setups ENABLE ROW LEVEL SECURITY;
      ALTER TABLE emergency_holders ENABLE ROW LEVEL SECURITY;
      ALTER TABLE emergency_wraps ENABLE ROW LEVEL SECURITY;
      ALTER TABLE emergency_breaks ENABLE ROW LEVEL SECURITY;
      ALTER TABLE emergency_releases ENABLE ROW LEVEL SECURITY;
      CREATE POLICY emergency_setups_patient ON emergency_setups
        USING (patient_id = app_user_id() AND app_role() = 'patient') WITH CHECK (patient_id = app_user_id() AND app_role() = 'patient');
      CREATE POLICY emergency_holders_patient ON emergency_holders
        USING (patient_id = app_user_id() AND app_role() = 'patient') WITH CHECK (patient_id = app_user_id() AND app_role() = 'patient');
      CREATE POLICY emergency_holders_holder ON emergency_holders FOR SELECT USING (holder_id = app_user_id());
      CREATE POLICY emergency_wraps_patient ON emergency_wraps
        USING (patient_id = app_user_id() AND app_role() = 'patient') WITH CHECK (patient_id = app_user_id() AND app_role() = 'patient');
      CREATE POLICY emergency_breaks_parties ON emergency_breaks FOR SELECT
        USING (patient_id = app_user_id() OR clinician_id = app_user_id() OR app_role() = 'auditor'
               OR EXISTS (SELECT 1 FROM emergency_holders h WHERE h.patient_id = emergency_breaks.patient_id AND h.holder_id = app_user_id()));
      CREATE POLICY emergency_breaks_clinician_insert ON emergency_breaks FOR INSERT
        WITH CHECK (clinician_id = app_user_id() AND app_role() = 'doctor' AND is_verified_clinician(app_user_id()));
      CREATE POLICY emergency_breaks_patient_end ON emergency_breaks FOR UPDATE
        USING (patient_id = app_user_id() AND app_role() = 'patient') WITH CHECK (patient_id = app_user_id());
      CREATE POLICY emergency_breaks_auditor_review ON emergency_breaks FOR UPDATE
        USING (app_role() = 'auditor') WITH CHECK (app_role() = 'auditor');
      CREATE POLICY emergency_releases_holder ON emergency_releases
        USING (holder_id = app_user_id()) WITH CHECK (holder_id = app_user_id());
      CREATE POLICY emergency_releases_parties ON emergency_releases FOR SELECT
        USING (EXISTS (SELECT 1 FROM emergency_breaks b WHERE b.id = emergency_releases.break_id AND (b.clinician_id = app_user_id() OR b.patient_id = app_user_id())));
      REVOKE ALL ON emergency_setups, emergency_holders, emergency_wraps, emergency_breaks, emergency_releases FROM PUBLIC;
      GRANT SELECT, INSERT, UPDATE, DELETE ON emergency_setups, emergency_holders, emergency_wraps TO phr_app;
      GRANT SELECT, INSERT, UPDATE ON emergency_breaks TO phr_app;
      GRANT SELECT, INSERT ON emergency_releases TO phr_app;

      -- A patient looks up an account that may hold a share by its exact email: another patient, or an approved clinician.
      CREATE FUNCTION emergency_holder_candidate(p_email text)
        RETURNS TABLE (id uuid, display_name text, role text, public_key text, fingerprint text, organisation text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT u.id, u.display_name, u.role, k.public_key, k.fingerprint, c.organisation
             FROM users u JOIN public_keys k ON k.user_id = u.id LEFT JOIN clinicians c ON c.user_id = u.id
            WHERE app_role() = 'patient' AND lower(u.email) = lower(p_email) AND u.id <> app_user_id()
              AND (u.role = 'patient' OR (u.role = 'doctor' AND c.status = 'approved')) $$;

      -- An approved clinician finds the patient whose glass they break, with the patient's setup.
      CREATE FUNCTION emergency_patient_setup(p_email text)
        RETURNS TABLE (patient_id uuid, display_name text, scope text, threshold integer, hours integer, generation integer)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT u.id, u.display_name, coalesce(s.scope, 'off'), s.threshold, coalesce(s.hours, 24), coalesce(s.generation, 0)
             FROM users u LEFT JOIN emergency_setups s ON s.patient_id = u.id
            WHERE app_role() = 'doctor' AND is_verified_clinician(app_user_id()) AND u.role = 'patient' AND lower(u.email) = lower(p_email) $$;

      -- The open break-glass of the caller: their own, approved, not ended, in its time box, of the current generation, k shares in.
      CREATE FUNCTION emergency_break_is_open(p_break uuid) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT EXISTS (
             SELECT 1 FROM emergency_breaks b JOIN emergency_setups s ON s.patient_id = b.patient_id
              WHERE b.id = p_break AND b.clinician_id = app_user_id() AND app_role() = 'doctor' AND is_verified_clinician(app_user_id())
                AND b.ended_at IS NULL AND b.expires_at > now() AND s.generation = b.generation AND s.scope <> 'off'
                AND (SELECT count(*) FROM emergency_releases r WHERE r.break_id = b.id) >= b.threshold) $$;

      -- What an open break-glass shows: the emergency key (sealed) and the records in scope with their emergency wraps.
      CREATE FUNCTION emergency_open_key(p_break uuid) RETURNS TABLE (public_key text, sealed_private_key text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT s.public_key, s.sealed_private_key FROM emergency_breaks b JOIN emergency_setups s ON s.patient_id = b.patient_id
            WHERE b.id = p_break AND emergency_break_is_open(p_break) $$;
      CREATE FUNCTION emergency_open_records(p_break uuid, p_record uuid)
        RETURNS TABLE (record_id uuid, owner_id uuid, folder_id uuid, size bigint, chunk_bytes integer, metadata text, created_at timestamptz, wrap text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT r.id, r.owner_id, r.folder_id, r.size, r.chunk_bytes, r.metadata, r.created_at, w.wrap
             FROM emergency_breaks b
             JOIN emergency_setups s ON s.patient_id = b.patient_id
             JOIN records r ON r.owner_id = b.patient_id AND r.trashed_at IS NULL
             JOIN emergency_wraps w ON w.record_id = r.id AND w.patient_id = b.patient_id
            WHERE b.id = p_break AND emergency_break_is_open(p_break) AND (p_record IS NULL OR r.id = p_record)
              AND (s.scope = 'all' OR r.folder_id = s.folder_id)
            ORDER BY r.created_at DESC, r.id $$;

      -- Names of the people of the break-glass rows the caller may see (users' RLS shows only one's own row).
      CREATE FUNCTION emergency_people(p_ids uuid[]) RETURNS TABLE (id uuid, display_name text, role text, organisation text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT u.id, u.display_name, u.role, c.organisation FROM users u LEFT JOIN clinicians c ON c.user_id = u.id
            WHERE u.id = ANY (p_ids) AND (app_role() = 'auditor' OR u.id = app_user_id()
              OR EXISTS (SELECT 1 FROM emergency_breaks b WHERE (b.patient_id = app_user_id() OR b.clinician_id = app_user_id()
                           OR EXISTS (SELECT 1 FROM emergency_holders h WHERE h.patient_id = b.patient_id AND h.holder_id = app_user_id()))
                         AND u.id IN (b.patient_id, b.clinician_id))
              OR EXISTS (SELECT 1 FROM emergency_holders h WHERE h.patient_id = app_user_id() AND h.holder_id = u.id)) $$;

      -- For the notification of a break (the clinician's transaction) and a refusal's row in the right trail.
      CREATE FUNCTION emergency_holders_of(p_patient uuid) RETURNS TABLE (holder_id uuid)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT h.holder_id FROM emergency_holders h
            WHERE h.patient_id = p_patient AND EXISTS (SELECT 1 FROM emergency_breaks b WHERE b.patient_id = p_patient AND b.clinician_id = app_user_id()) $$;
      CREATE FUNCTION emergency_release_count(p_break uuid) RETURNS integer
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT count(*)::int FROM emergency_releases WHERE break_id = p_break $$;
      CREATE FUNCTION emergency_break_patient(p_break uuid) RETURNS uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT patient_id FROM emergency_breaks WHERE id = p_break $$;

      REVOKE ALL ON FUNCTION emergency_holders_of(uuid), emergency_release_count(uuid), emergency_break_patient(uuid) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION emergency_holders_of(uuid), emergency_release_count(uuid), emergency_break_patient(uuid) TO phr_app;
      REVOKE ALL ON FUNCTION emergency_holder_candidate(text), emergency_patient_setup(text), emergency_break_is_open(uuid),
        emergency_open_key(uuid), emergency_open_records(uuid, uuid), emergency_people(uuid[]) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION emergency_holder_candidate(text), emergency_patient_setup(text), emergency_break_is_open(uuid),
        emergency_open_key(uuid), emergency_open_records(uuid, uuid), emergency_people(uuid[]) TO phr_app;
    `);
    await remakeNotifiable(db);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP FUNCTION IF EXISTS emergency_holders_of(uuid), emergency_release_count(uuid), emergency_break_patient(uuid), emergency_people(uuid[]), emergency_open_records(uuid, uuid), emergency_open_key(uuid),
        emergency_break_is_open(uuid), emergency_patient_setup(text), emergency_holder_candidate(text);
      DROP TABLE IF EXISTS emergency_releases, emergency_breaks, emergency_wraps, emergency_holders, emergency_setups;
    `);
  }
}

