import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Listings and sharing that cost in proportion to the page or to the rows
 * touched (issue 14).
 *
 * - records_consented_doctor: the same rule (a verified clinician, a consent
 *   in force whose scope takes the record in), written as an EXISTS over
 *   `consents` with consent_in_force and consent_scope_includes (inlined),
 *   instead of a call of the SECURITY DEFINER consent_covers() for every row
 *   the statement looks at. The role test and the clinician's standing are
 *   inside the EXISTS, where they are evaluated once per statement (a one-time
 *   filter and an InitPlan), not once per row. Written so, the planner also
 *   estimates the policy as "half the rows pass" instead of "one in a few
 *   thousand" (its default for `app_role() = 'doctor'` inside an OR), so it
 *   walks records_owner_listing in order and stops after one page instead of
 *   sorting every record of the patient. The doctor sees the consents naming
 *   them under consents_parties, so the EXISTS sees exactly what
 *   consent_covers() saw; consent_covers() stays for other callers.
 * - records_folder_listing: a folder's records in listing order, so a listing
 *   of one folder (and a doctor's list under a folder consent) reads one page.
 *   It replaces records_folder, whose one column is its prefix.
 * - record_wraps_recipient_owner: one doctor's wraps of one patient's records,
 *   so a revocation reads the wraps it may delete, not every wrap the doctor
 *   holds from every patient. It replaces record_wraps_recipient (its prefix).
 * - record_wraps_stamp_key fires only for a doctor's wrap that names no key
 *   (WHEN), so sharing 10,000 records with a named key calls no function per row.
 */
export class ListingScale1765720000000 implements MigrationInterface {
  name = 'ListingScale1765720000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP POLICY records_consented_doctor ON records;
      CREATE POLICY records_consented_doctor ON records FOR SELECT
        USING (EXISTS (
          SELECT 1 FROM consents c
          WHERE app_role() = 'doctor' AND (SELECT is_verified_clinician(app_user_id()))
            AND c.doctor_id = app_user_id() AND c.patient_id = records.owner_id
            AND consent_in_force(c) AND consent_scope_includes(c, records.id, records.folder_id)));

      CREATE INDEX records_folder_listing ON records (folder_id, created_at DESC, id DESC);
      DROP INDEX records_folder;
      CREATE INDEX record_wraps_recipient_owner ON record_wraps (recipient_id, owner_id);
      DROP INDEX record_wraps_recipient;

      DROP TRIGGER record_wraps_stamp_key ON record_wraps;
      CREATE TRIGGER record_wraps_stamp_key_insert BEFORE INSERT ON record_wraps
        FOR EACH ROW WHEN (NEW.recipient_id <> NEW.owner_id AND NEW.key_fingerprint IS NULL)
        EXECUTE FUNCTION record_wraps_stamp_key();
      CREATE TRIGGER record_wraps_stamp_key_update BEFORE UPDATE ON record_wraps
        FOR EACH ROW WHEN (NEW.recipient_id <> NEW.owner_id AND NEW.wrap IS DISTINCT FROM OLD.wrap AND NEW.key_fingerprint IS NOT DISTINCT FROM OLD.key_fingerprint)
        EXECUTE FUNCTION record_wraps_stamp_key();
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP TRIGGER IF EXISTS record_wraps_stamp_key_update ON record_wraps;
      DROP TRIGGER IF EXISTS record_wraps_stamp_key_insert ON record_wraps;
      CREATE TRIGGER record_wraps_stamp_key BEFORE INSERT OR UPDATE ON record_wraps
        FOR EACH ROW EXECUTE FUNCTION record_wraps_stamp_key();

      CREATE INDEX records_folder ON records (folder_id);
      DROP INDEX IF EXISTS records_folder_listing;
      CREATE INDEX record_wraps_recipient ON record_wraps (recipient_id);
      DROP INDEX IF EXISTS record_wraps_recipient_owner;

      DROP POLICY IF EXISTS records_consented_doctor ON records;
      CREATE POLICY records_consented_doctor ON records FOR SELECT
        USING (app_role() = 'doctor' AND is_verified_clinician(app_user_id()) AND consent_covers(app_user_id(), owner_id, id, folder_id));
    `);
  }
}
