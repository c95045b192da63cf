import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Key-pair rotation (docs/protocol.md "Key-pair rotation").
 *
 * An account may replace its RSA-OAEP key pair: its row of `public_keys` is
 * updated (by the account itself only) and a new binding is logged in the key
 * directory. Doctor wraps made for the old key cannot be opened with the new
 * one, so every doctor wrap now names the key it was made for
 * (`key_fingerprint`, the fingerprint in its OAEP label). A wrap whose
 * fingerprint is not the doctor's current one is stale: the API refuses to
 * hand it out, and the patient's browser re-makes it.
 *
 * Owner wraps are sealed under the account key, not the key pair: their
 * `key_fingerprint` is null, and only theirs.
 *
 * A doctor wrap written without a fingerprint (a grant, a commit into a shared
 * folder: the routes that predate rotation) is stamped with the doctor's
 * current fingerprint by a trigger, so no writer can forget it; a re-wrap
 * names the fingerprint it was made for, which the API checks against the
 * current one before writing. Existing doctor wraps were all made for the key
 * each doctor has now (no key could be replaced before this migration).
 */
export class KeyPairRotation1765410000000 implements MigrationInterface {
  name = 'KeyPairRotation1765410000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE record_wraps ADD COLUMN key_fingerprint text CHECK (key_fingerprint ~ '^[0-9a-f]{64}$');
      UPDATE record_wraps w SET key_fingerprint = k.fingerprint
        FROM public_keys k WHERE k.user_id = w.recipient_id AND w.recipient_id <> w.owner_id;
      ALTER TABLE record_wraps ADD CONSTRAINT record_wraps_key_fingerprint
        CHECK ((recipient_id = owner_id) = (key_fingerprint IS NULL));

      -- A doctor wrap written without naming its key, or whose wrap changes without naming one, is for the doctor's current key.
      CREATE FUNCTION record_wraps_stamp_key() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
        BEGIN
          IF NEW.recipient_id <> NEW.owner_id AND (
               (TG_OP = 'INSERT' AND NEW.key_fingerprint IS NULL)
            OR (TG_OP = 'UPDATE' AND NEW.wrap IS DISTINCT FROM OLD.wrap AND NEW.key_fingerprint IS NOT DISTINCT FROM OLD.key_fingerprint)) THEN
            SELECT k.fingerprint INTO NEW.key_fingerprint FROM public_keys k WHERE k.user_id = NEW.recipient_id;
          END IF;
          RETURN NEW;
        END $$;
      REVOKE ALL ON FUNCTION record_wraps_stamp_key() FROM PUBLIC;
      CREATE TRIGGER record_wraps_stamp_key BEFORE INSERT OR UPDATE ON record_wraps
        FOR EACH ROW EXECUTE FUNCTION record_wraps_stamp_key();

      -- Each account replaces its own public key, and no one else's.
      CREATE POLICY public_keys_update_own ON public_keys FOR UPDATE USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
      GRANT UPDATE (public_key, fingerprint, created_at) ON public_keys TO phr_app;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      REVOKE UPDATE (public_key, fingerprint, created_at) ON public_keys FROM phr_app;
      DROP POLICY IF EXISTS public_keys_update_own ON public_keys;
      DROP TRIGGER IF EXISTS record_wraps_stamp_key ON record_wraps;
      DROP FUNCTION IF EXISTS record_wraps_stamp_key();
      ALTER TABLE record_wraps DROP CONSTRAINT IF EXISTS record_wraps_key_fingerprint;
      ALTER TABLE record_wraps DROP COLUMN IF EXISTS key_fingerprint;
    `);
  }
}
