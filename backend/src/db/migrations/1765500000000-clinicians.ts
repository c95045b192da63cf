import type { MigrationInterface, QueryRunner } from 'typeorm';
import { nameSkeleton } from '../../clinicians/name-check.js';

/**
 * Who may be a doctor (docs/protocol.md "Clinicians"; issue 19).
 *
 * A new role, `operator`, vouches for clinicians; operators are invited by the
 * operator's command-line step, like auditors (`auditor_invitations` now says
 * which role an invitation makes, and carries a clinician's details when an
 * operator invites one through the API).
 *
 * Every doctor has a row in `clinicians`: licence, organisation, standing
 * (pending, approved, refused, suspended) and the TR39 skeleton of the name.
 * Only an approved clinician is found by search (search_doctors), may be
 * granted a consent (is_verified_clinician) or sees a record under one: the
 * RLS policy on records asks for an approved clinician, so a suspension stops
 * every read at once, whatever the API does, and reinstating restores it. The
 * consents themselves stay, and consent_covers() is unchanged, so revoking one
 * consent of a suspended doctor still keeps the wraps other consents cover.
 *
 * Doctors registered before this migration were vouched for by nobody: they
 * become pending, and an operator approves them (their licence and
 * organisation read "not given").
 */
export class Clinicians1765500000000 implements MigrationInterface {
  name = 'Clinicians1765500000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE users DROP CONSTRAINT users_role_check;
      ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('patient', 'doctor', 'auditor', 'operator'));
      ALTER TABLE key_log_leaves DROP CONSTRAINT key_log_leaves_role_check;
      ALTER TABLE key_log_leaves ADD CONSTRAINT key_log_leaves_role_check CHECK (role IN ('patient', 'doctor', 'auditor', 'operator'));

      CREATE TABLE clinicians (
        user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        licence text NOT NULL,
        organisation text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'refused', 'suspended')),
        origin text NOT NULL CHECK (origin IN ('invitation', 'request')),
        name_skeleton text NOT NULL,
        requested_at timestamptz NOT NULL DEFAULT now(),
        -- The last decision, by whom (the operator's name is kept: it outlives that account).
        decided_at timestamptz,
        decided_by uuid REFERENCES users (id) ON DELETE SET NULL,
        decided_by_name text,
        -- Who vouched: the approving (or inviting) operator, shown to patients.
        verified_at timestamptz,
        verified_by_name text,
        reason text,
        CHECK ((status IN ('approved', 'suspended')) = (verified_at IS NOT NULL))
      );
      CREATE INDEX clinicians_queue ON clinicians (status, requested_at, user_id);
      CREATE INDEX clinicians_skeleton ON clinicians (name_skeleton) WHERE status = 'approved';

      ALTER TABLE auditor_invitations
        ADD COLUMN role text NOT NULL DEFAULT 'auditor' CHECK (role IN ('auditor', 'operator', 'doctor')),
        ADD COLUMN specialty text,
        ADD COLUMN licence text,
        ADD COLUMN organisation text,
        ADD COLUMN invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
        ADD COLUMN invited_by_name text,
        ADD CONSTRAINT auditor_invitations_clinician CHECK ((role = 'doctor') = (licence IS NOT NULL AND organisation IS NOT NULL));
    `);

    const doctors = (await db.query(`SELECT id, display_name FROM users WHERE role = 'doctor'`)) as Array<{ id: string; display_name: string }>;
    for (const doctor of doctors) {
      await db.query(`INSERT INTO clinicians (user_id, licence, organisation, origin, name_skeleton, requested_at) VALUES ($1, 'not given', 'not given', 'request', $2, now())`, [
        doctor.id,
        nameSkeleton(doctor.display_name),
      ]);
    }

    // Outside any one user's context: the approved-clinician check of the RLS policy and of a
    // grant, the patients' search, an operator's invitation, an invited clinician's enrolment,
    // and the patients an operator's suspension concerns.
    await db.query(`
      CREATE FUNCTION is_verified_clinician(p_user uuid) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT EXISTS (SELECT 1 FROM clinicians WHERE user_id = p_user AND status = 'approved') $$;

      DROP FUNCTION search_doctors(text, integer);
      DROP FUNCTION is_doctor(uuid);
      CREATE FUNCTION search_doctors(p_query text, p_skeleton text, p_limit integer)
        RETURNS TABLE (id uuid, display_name text, specialty text, public_key text, fingerprint text,
                       organisation text, verified_by text, verified_at timestamptz, looks_like_another boolean)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT u.id, u.display_name, u.specialty, k.public_key, k.fingerprint, c.organisation, c.verified_by_name, c.verified_at,
                  EXISTS (SELECT 1 FROM clinicians o WHERE o.status = 'approved' AND o.name_skeleton = c.name_skeleton AND o.user_id <> c.user_id)
           FROM users u JOIN public_keys k ON k.user_id = u.id JOIN clinicians c ON c.user_id = u.id
           WHERE u.role = 'doctor' AND c.status = 'approved' AND app_role() = 'patient'
             AND (u.display_name ILIKE '%' || p_query || '%' OR u.email ILIKE '%' || p_query || '%' OR c.name_skeleton LIKE '%' || p_skeleton || '%')
           ORDER BY u.display_name, u.id LIMIT p_limit $$;

      CREATE FUNCTION invite_clinician(p_hash text, p_email text, p_name text, p_specialty text, p_licence text, p_organisation text, p_expires timestamptz)
        RETURNS boolean LANGUAGE sql SECURITY DEFINER SET search_path = public AS
        $$ INSERT INTO auditor_invitations (token_hash, email, display_name, expires_at, role, specialty, licence, organisation, invited_by, invited_by_name)
           SELECT p_hash, p_email, p_name, p_expires, 'doctor', p_specialty, p_licence, p_organisation, u.id, u.display_name
           FROM users u WHERE u.id = app_user_id() AND u.role = 'operator' AND app_role() = 'operator'
           RETURNING true $$;

      DROP FUNCTION claim_auditor_invitation(text, text);
      CREATE FUNCTION claim_invitation(p_hash text, p_email text)
        RETURNS TABLE (role text, display_name text, specialty text, licence text, organisation text, invited_by uuid, invited_by_name text)
        LANGUAGE sql SECURITY DEFINER SET search_path = public AS
        $$ UPDATE auditor_invitations SET used_at = now()
           WHERE token_hash = p_hash AND email = p_email AND used_at IS NULL AND expires_at > now()
           RETURNING role, display_name, specialty, licence, organisation, invited_by, invited_by_name $$;

      -- The invited clinician's own row, approved by the operator who invited them, from the invitation just claimed.
      CREATE FUNCTION enrol_invited_clinician(p_hash text, p_skeleton text) RETURNS boolean
        LANGUAGE sql SECURITY DEFINER SET search_path = public AS
        $$ INSERT INTO clinicians (user_id, licence, organisation, status, origin, name_skeleton, requested_at, decided_at, decided_by, decided_by_name, verified_at, verified_by_name)
           SELECT u.id, i.licence, i.organisation, 'approved', 'invitation', p_skeleton, i.created_at, now(), i.invited_by, i.invited_by_name, now(), i.invited_by_name
           FROM auditor_invitations i JOIN users u ON u.email = i.email
           WHERE i.token_hash = p_hash AND i.role = 'doctor' AND i.used_at IS NOT NULL
             AND u.id = app_user_id() AND u.role = 'doctor' AND app_role() = 'doctor'
           RETURNING true $$;

      -- Whom a decision on a doctor concerns: the patients of the doctor's active consents (only an operator asks).
      CREATE FUNCTION clinician_patients(p_doctor uuid) RETURNS TABLE (patient_id uuid, email text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT DISTINCT u.id, u.email FROM consents c JOIN users u ON u.id = c.patient_id
           WHERE c.doctor_id = p_doctor AND c.status = 'active' AND (c.expires_at IS NULL OR c.expires_at > now()) AND app_role() = 'operator' $$;

      REVOKE ALL ON FUNCTION is_verified_clinician(uuid), search_doctors(text, text, integer),
        invite_clinician(text, text, text, text, text, text, timestamptz), claim_invitation(text, text),
        enrol_invited_clinician(text, text), clinician_patients(uuid) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION is_verified_clinician(uuid), search_doctors(text, text, integer),
        invite_clinician(text, text, text, text, text, text, timestamptz), claim_invitation(text, text),
        enrol_invited_clinician(text, text), clinician_patients(uuid) TO phr_app;
    `);

    await db.query(`
      ALTER TABLE clinicians ENABLE ROW LEVEL SECURITY;
      -- A doctor reads their own standing; an operator reads and decides on every clinician.
      CREATE POLICY clinicians_self ON clinicians FOR SELECT USING (user_id = app_user_id());
      CREATE POLICY clinicians_operator ON clinicians FOR SELECT USING (app_role() = 'operator');
      CREATE POLICY clinicians_operator_decide ON clinicians FOR UPDATE USING (app_role() = 'operator') WITH CHECK (app_role() = 'operator');
      -- A doctor's own request waits; only an operator's invitation (enrol_invited_clinician) starts approved.
      CREATE POLICY clinicians_request ON clinicians FOR INSERT
        WITH CHECK (user_id = app_user_id() AND app_role() = 'doctor' AND status = 'pending' AND origin = 'request' AND verified_at IS NULL);
      -- While waiting, a doctor may correct their name (its skeleton follows), never their standing.
      CREATE POLICY clinicians_rename_pending ON clinicians FOR UPDATE
        USING (user_id = app_user_id() AND status = 'pending') WITH CHECK (user_id = app_user_id() AND status = 'pending' AND verified_at IS NULL);
      -- The patient of a consent sees the standing of its doctor (a suspension is shown to them).
      CREATE POLICY clinicians_consent_patient ON clinicians FOR SELECT
        USING (EXISTS (SELECT 1 FROM consents c WHERE c.doctor_id = clinicians.user_id AND c.patient_id = app_user_id()));
      GRANT SELECT, INSERT ON clinicians TO phr_app;
      GRANT UPDATE (status, decided_at, decided_by, decided_by_name, verified_at, verified_by_name, reason, name_skeleton) ON clinicians TO phr_app;

      -- Operators read the accounts of clinicians (name, email, specialty), and no one else's.
      CREATE POLICY users_operator_clinicians ON users FOR SELECT USING (app_role() = 'operator' AND role = 'doctor');

      -- A consented doctor sees the record row only while an operator's approval stands.
      DROP POLICY records_consented_doctor ON records;
      CREATE POLICY records_consented_doctor ON records FOR SELECT
        USING (app_role() = 'doctor' AND is_verified_clinician(app_user_id()) AND consent_covers(app_user_id(), owner_id, id, folder_id));
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP POLICY IF EXISTS records_consented_doctor ON records;
      CREATE POLICY records_consented_doctor ON records FOR SELECT
        USING (app_role() = 'doctor' AND consent_covers(app_user_id(), owner_id, id, folder_id));
      DROP POLICY IF EXISTS users_operator_clinicians ON users;
      DROP FUNCTION IF EXISTS clinician_patients(uuid), enrol_invited_clinician(text, text), claim_invitation(text, text),
        invite_clinician(text, text, text, text, text, text, timestamptz), search_doctors(text, text, integer);
      CREATE FUNCTION claim_auditor_invitation(p_hash text, p_email text) RETURNS text
        LANGUAGE sql SECURITY DEFINER SET search_path = public AS
        $$ UPDATE auditor_invitations SET used_at = now()
           WHERE token_hash = p_hash AND email = p_email AND used_at IS NULL AND expires_at > now() AND role = 'auditor'
           RETURNING display_name $$;
      CREATE FUNCTION is_doctor(p_user uuid) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT EXISTS (SELECT 1 FROM users WHERE id = p_user AND role = 'doctor') $$;
      CREATE FUNCTION search_doctors(p_query text, p_limit integer)
        RETURNS TABLE (id uuid, display_name text, specialty text, public_key text, fingerprint text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT u.id, u.display_name, u.specialty, k.public_key, k.fingerprint
           FROM users u JOIN public_keys k ON k.user_id = u.id
           WHERE u.role = 'doctor' AND app_role() = 'patient'
             AND (u.display_name ILIKE '%' || p_query || '%' OR u.email ILIKE '%' || p_query || '%')
           ORDER BY u.display_name, u.id LIMIT p_limit $$;
      REVOKE ALL ON FUNCTION claim_auditor_invitation(text, text), is_doctor(uuid), search_doctors(text, integer) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION claim_auditor_invitation(text, text), is_doctor(uuid), search_doctors(text, integer) TO phr_app;
      DROP FUNCTION IF EXISTS is_verified_clinician(uuid);
      DELETE FROM auditor_invitations WHERE role <> 'auditor';
      ALTER TABLE auditor_invitations DROP CONSTRAINT IF EXISTS auditor_invitations_clinician,
        DROP COLUMN IF EXISTS role, DROP COLUMN IF EXISTS specialty, DROP COLUMN IF EXISTS licence, DROP COLUMN IF EXISTS organisation,
        DROP COLUMN IF EXISTS invited_by, DROP COLUMN IF EXISTS invited_by_name;
      DROP TABLE IF EXISTS clinicians;
      DELETE FROM users WHERE role = 'operator';
      ALTER TABLE key_log_leaves DROP CONSTRAINT key_log_leaves_role_check;
      ALTER TABLE key_log_leaves ADD CONSTRAINT key_log_leaves_role_check CHECK (role IN ('patient', 'doctor', 'auditor', 'operator'));
      ALTER TABLE users DROP CONSTRAINT users_role_check;
      ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('patient', 'doctor', 'auditor'));
    `);
  }
}
