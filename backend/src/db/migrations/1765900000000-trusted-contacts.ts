import type { MigrationInterface, QueryRunner } from 'typeorm';
import { remakeNotifiable } from './1765810000000-notifications.js';

/**
 * Trusted contacts (issue 16, docs/protocol.md "Trusted contacts"):
 *
 * - `trusted_contacts`: a patient names another patient account, a wait (1 to 30 days) and a
 *   scope (everything, or one folder). A request by the contact stamps `requested_at`; the
 *   patient's refusal clears it. The wraps are released once `contact_released()` holds:
 *   requested, and the wait since the request has passed. That rule is written once, here.
 * - `contact_wraps`: the file keys in scope, RSA-OAEP-wrapped in the patient's browser for the
 *   contact's public key. Row-level security shows them to the patient, and to the contact
 *   only while contact_released() holds: no statement of the application can hand a wrap out
 *   early, whatever the service code does.
 * - The contact's own changes (a request) go through contact_request_access(), which can set
 *   nothing but the request time; everything else is the patient's (RLS).
 * - A request notifies the patient: contact.requested joins the notifiable rows (kind
 *   "sharing"), so the partial index, the mail trigger and the mail job are made again from
 *   notifiable.ts.
 */
export class TrustedContacts1765900000000 implements MigrationInterface {
  name = 'TrustedContacts1765900000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE trusted_contacts (
        id uuid PRIMARY KEY,
        patient_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        contact_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        scope text NOT NULL CHECK (scope IN ('all', 'folder')),
        folder_id uuid REFERENCES folders (id) ON DELETE CASCADE,
        wait_days integer NOT NULL CHECK (wait_days BETWEEN 1 AND 30),
        key_fingerprint text NOT NULL,
        requested_at timestamptz,
        refused_at timestamptz,
        released_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((scope = 'folder') = (folder_id IS NOT NULL)),
        CHECK (patient_id <> contact_id),
        UNIQUE (patient_id, contact_id)
      );
      CREATE INDEX trusted_contacts_contact ON trusted_contacts (contact_id);
      ALTER TABLE trusted_contacts ENABLE ROW LEVEL SECURITY;
      CREATE POLICY trusted_contacts_parties ON trusted_contacts FOR SELECT USING (patient_id = app_user_id() OR contact_id = app_user_id());
      CREATE POLICY trusted_contacts_patient_insert ON trusted_contacts FOR INSERT WITH CHECK (patient_id = app_user_id());
      CREATE POLICY trusted_contacts_patient_update ON trusted_contacts FOR UPDATE USING (patient_id = app_user_id()) WITH CHECK (patient_id = app_user_id());
      CREATE POLICY trusted_contacts_patient_delete ON trusted_contacts FOR DELETE USING (patient_id = app_user_id());
      REVOKE ALL ON trusted_contacts FROM PUBLIC;
      GRANT SELECT, INSERT, UPDATE, DELETE ON trusted_contacts TO phr_app;

      CREATE TABLE contact_wraps (
        trusted_contact_id uuid NOT NULL REFERENCES trusted_contacts (id) ON DELETE CASCADE,
        record_id uuid NOT NULL REFERENCES records (id) ON DELETE CASCADE,
        patient_id uuid NOT NULL,
        contact_id uuid NOT NULL,
        wrap text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (trusted_contact_id, record_id)
      );
      CREATE INDEX contact_wraps_record ON contact_wraps (record_id);

      -- The one release rule: requested, and the whole wait since the request has passed.
      CREATE FUNCTION contact_released(c trusted_contacts) RETURNS boolean
        LANGUAGE sql STABLE AS
        $$ SELECT c.requested_at IS NOT NULL AND c.requested_at + make_interval(days => c.wait_days) <= now() $$;

      -- Definer: the contact's RLS on trusted_contacts is read-only; this sets the request time and nothing else.
      CREATE FUNCTION contact_request_access(p_id uuid) RETURNS timestamptz
        LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public AS
        $$ UPDATE trusted_contacts SET requested_at = coalesce(requested_at, now())
           WHERE id = p_id AND contact_id = app_user_id() RETURNING requested_at $$;

      -- Definer: the first hand-out of a release is stamped (contact.released is filed once per request).
      CREATE FUNCTION contact_mark_released(p_id uuid) RETURNS boolean
        LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public AS
        $$ WITH marked AS (
             UPDATE trusted_contacts c SET released_at = now()
              WHERE c.id = p_id AND c.contact_id = app_user_id() AND c.released_at IS NULL AND contact_released(c) RETURNING 1)
           SELECT EXISTS (SELECT 1 FROM marked) $$;

      -- Definer: the policy below asks about the contact row, which the wrap's reader may see anyway.
      CREATE FUNCTION contact_wrap_released(p_trusted_contact uuid) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT EXISTS (SELECT 1 FROM trusted_contacts c WHERE c.id = p_trusted_contact AND c.contact_id = app_user_id() AND contact_released(c)) $$;

      ALTER TABLE contact_wraps ENABLE ROW LEVEL SECURITY;
      CREATE POLICY contact_wraps_patient ON contact_wraps USING (patient_id = app_user_id()) WITH CHECK (patient_id = app_user_id());
      CREATE POLICY contact_wraps_released ON contact_wraps FOR SELECT USING (contact_id = app_user_id() AND contact_wrap_released(trusted_contact_id));
      REVOKE ALL ON contact_wraps FROM PUBLIC;
      GRANT SELECT, INSERT, DELETE ON contact_wraps TO phr_app;

      -- The records behind a contact's released wraps (records' RLS shows a patient only their own):
      -- only while contact_wrap_released() holds for the caller, and only records still in the contact's scope
      -- and not in the trash (a record moved out of the contact's folder, or trashed, is not handed out).
      CREATE FUNCTION contact_released_records(p_trusted_contact uuid, p_record uuid) RETURNS TABLE (
        id uuid, owner_id uuid, folder_id uuid, size bigint, chunk_bytes integer, metadata text, created_at timestamptz, trashed_at timestamptz, wrap text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT r.id, r.owner_id, r.folder_id, r.size, r.chunk_bytes, r.metadata, r.created_at, r.trashed_at, w.wrap
             FROM contact_wraps w JOIN records r ON r.id = w.record_id JOIN trusted_contacts c ON c.id = w.trusted_contact_id
            WHERE w.trusted_contact_id = p_trusted_contact AND w.contact_id = app_user_id()
              AND contact_wrap_released(w.trusted_contact_id) AND (p_record IS NULL OR w.record_id = p_record)
              AND r.trashed_at IS NULL AND (c.scope = 'all' OR r.folder_id = c.folder_id)
            ORDER BY r.created_at DESC, r.id DESC $$;

      -- A patient account a patient may name, found by its exact (normalised) email, with its key.
      CREATE FUNCTION contact_candidate(p_email text) RETURNS TABLE (id uuid, display_name text, public_key text, fingerprint text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT u.id, u.display_name, k.public_key, k.fingerprint FROM users u JOIN public_keys k ON k.user_id = u.id
            WHERE u.email = p_email AND u.role = 'patient' AND app_role() = 'patient' AND u.id <> app_user_id() $$;

      CREATE FUNCTION contact_candidate_by_id(p_id uuid) RETURNS TABLE (id uuid, display_name text, public_key text, fingerprint text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT u.id, u.display_name, k.public_key, k.fingerprint FROM users u JOIN public_keys k ON k.user_id = u.id
            WHERE u.id = p_id AND u.role = 'patient' AND app_role() = 'patient' AND u.id <> app_user_id() $$;

      -- The accounts a patient named, for telling them of an emergency access by someone else
      -- (the break-glass feature): definer, as the actor then is not a party.
      CREATE FUNCTION patient_trusted_contact_ids(p_patient uuid) RETURNS TABLE (contact_id uuid)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT c.contact_id FROM trusted_contacts c WHERE c.patient_id = p_patient ORDER BY c.contact_id $$;

      -- The names and key fingerprints of the caller and of the other parties of the caller's trusted contacts.
      CREATE FUNCTION contact_party_names() RETURNS TABLE (id uuid, display_name text, fingerprint text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT u.id, u.display_name, k.fingerprint FROM users u LEFT JOIN public_keys k ON k.user_id = u.id
            WHERE u.id = app_user_id() OR u.id IN (SELECT c.contact_id FROM trusted_contacts c WHERE c.patient_id = app_user_id()
                           UNION SELECT c.patient_id FROM trusted_contacts c WHERE c.contact_id = app_user_id()) $$;

      -- The contacts a new record of this patient in this folder must be wrapped for. Run as the patient.
      CREATE FUNCTION covering_contacts(p_owner uuid, p_folder uuid) RETURNS TABLE (trusted_contact_id uuid, contact_id uuid)
        LANGUAGE sql STABLE AS
        $$ SELECT c.id, c.contact_id FROM trusted_contacts c
            WHERE c.patient_id = p_owner AND (c.scope = 'all' OR (c.scope = 'folder' AND c.folder_id = p_folder))
            ORDER BY c.contact_id $$;

      -- The patient of a trusted contact, for filing an attempt by someone else in the patient's trail.
      CREATE FUNCTION trusted_contact_patient(p_id uuid) RETURNS uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT patient_id FROM trusted_contacts WHERE id = p_id $$;

      REVOKE ALL ON FUNCTION trusted_contact_patient(uuid), contact_released(trusted_contacts), contact_request_access(uuid), contact_mark_released(uuid), contact_wrap_released(uuid),
        contact_released_records(uuid, uuid), contact_candidate(text), contact_candidate_by_id(uuid), contact_party_names(), covering_contacts(uuid, uuid), patient_trusted_contact_ids(uuid) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION trusted_contact_patient(uuid), contact_released(trusted_contacts), contact_request_access(uuid), contact_mark_released(uuid), contact_wrap_released(uuid),
        contact_released_records(uuid, uuid), contact_candidate(text), contact_candidate_by_id(uuid), contact_party_names(), covering_contacts(uuid, uuid), patient_trusted_contact_ids(uuid) TO phr_app;
    `);
    await remakeNotifiable(db);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP FUNCTION IF EXISTS patient_trusted_contact_ids(uuid), trusted_contact_patient(uuid), covering_contacts(uuid, uuid), contact_party_names(), contact_candidate(text), contact_released_records(uuid, uuid),
        contact_request_access(uuid), contact_mark_released(uuid), contact_candidate_by_id(uuid);
      DROP TABLE IF EXISTS contact_wraps;
      DROP FUNCTION IF EXISTS contact_wrap_released(uuid), contact_released(trusted_contacts);
      DROP TABLE IF EXISTS trusted_contacts;
    `);
  }
}

