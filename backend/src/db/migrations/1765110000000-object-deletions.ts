import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Crash-safe removal of objects (DESIGN 5, "Delete"). A record's objects used
 * to be removed from the store before its transaction committed: a crash in
 * between left a listed record whose content was gone. Now the transaction
 * that deletes a record (or an account, or an expired upload) queues its
 * object keys here; the objects are removed only after that commit, by the
 * request itself where it can and otherwise by the sweep, which retries until
 * the store confirms. A crash before the commit changes nothing; one after it
 * leaves queue rows that the next sweep finishes.
 *
 * `known_object_owners` serves the reconciliation that removes objects no row
 * owns (an old upload URL used after a deletion).
 *
 * `owner_id` has no foreign key: an erased account's objects stay queued after
 * its `users` row is gone.
 */
export class ObjectDeletions1765110000000 implements MigrationInterface {
  name = 'ObjectDeletions1765110000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE object_deletions (
        object_key text PRIMARY KEY,
        owner_id uuid NOT NULL,
        record_id uuid NOT NULL,
        queued_at timestamptz NOT NULL DEFAULT now(),
        attempts integer NOT NULL DEFAULT 0,
        last_error text
      );
      CREATE INDEX object_deletions_due ON object_deletions (queued_at);

      ALTER TABLE object_deletions ENABLE ROW LEVEL SECURITY;
      CREATE POLICY object_deletions_owner ON object_deletions
        USING (owner_id = app_user_id()) WITH CHECK (owner_id = app_user_id());
      GRANT SELECT, INSERT, DELETE ON object_deletions TO phr_app;

      -- The sweep acts for no user: definer functions give it the queue, and nothing else.
      CREATE FUNCTION due_object_deletions(p_limit integer)
        RETURNS TABLE (object_key text, owner_id uuid, record_id uuid, attempts integer)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT d.object_key, d.owner_id, d.record_id, d.attempts FROM object_deletions d ORDER BY d.queued_at LIMIT p_limit $$;
      CREATE FUNCTION forget_object_deletions(p_keys text[]) RETURNS void
        LANGUAGE sql SECURITY DEFINER SET search_path = public AS
        $$ DELETE FROM object_deletions WHERE object_key = ANY (p_keys) $$;
      CREATE FUNCTION note_object_deletion_failure(p_keys text[], p_error text) RETURNS void
        LANGUAGE sql SECURITY DEFINER SET search_path = public AS
        $$ UPDATE object_deletions SET attempts = attempts + 1, last_error = left(p_error, 500) WHERE object_key = ANY (p_keys) $$;
      -- An expired upload: its row goes and its objects are queued, in one step.
      CREATE FUNCTION expire_upload(p_record uuid, p_keys text[]) RETURNS void
        LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
          INSERT INTO object_deletions (object_key, owner_id, record_id)
            SELECT k, u.owner_id, u.record_id FROM uploads u, unnest(p_keys) AS k WHERE u.record_id = p_record
            ON CONFLICT (object_key) DO NOTHING;
          DELETE FROM uploads WHERE record_id = p_record;
        $$;
      -- Reconciliation of the store against the database: which of these record ids own objects.
      CREATE FUNCTION known_object_owners(p_ids uuid[]) RETURNS SETOF uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
          SELECT id FROM records WHERE id = ANY (p_ids)
          UNION SELECT record_id FROM uploads WHERE record_id = ANY (p_ids)
          UNION SELECT record_id FROM object_deletions WHERE record_id = ANY (p_ids)
        $$;
      REVOKE ALL ON FUNCTION known_object_owners(uuid[]) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION known_object_owners(uuid[]) TO phr_app;
      REVOKE ALL ON FUNCTION due_object_deletions(integer), forget_object_deletions(text[]),
        note_object_deletion_failure(text[], text), expire_upload(uuid, text[]) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION due_object_deletions(integer), forget_object_deletions(text[]),
        note_object_deletion_failure(text[], text), expire_upload(uuid, text[]) TO phr_app;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP FUNCTION IF EXISTS known_object_owners(uuid[]);
      DROP FUNCTION IF EXISTS expire_upload(uuid, text[]), note_object_deletion_failure(text[], text),
        forget_object_deletions(text[]), due_object_deletions(integer);
      DROP TABLE IF EXISTS object_deletions;
    `);
  }
}
