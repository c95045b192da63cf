import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Encrypted records (DESIGN 4.3, 5, 6): folders, uploads not yet committed,
 * records, and the wraps of their file keys. Every table holds one patient's
 * data and carries its `owner_id`; RLS admits only that owner here (consented
 * doctors come with the consent slice).
 */
export class Records1764100000000 implements MigrationInterface {
  name = 'Records1764100000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE folders (
        id uuid PRIMARY KEY,
        owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX folders_owner ON folders (owner_id);

      -- An upload the browser is doing: the id is the future record's id, chosen by the server.
      CREATE TABLE uploads (
        record_id uuid PRIMARY KEY,
        owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        size bigint NOT NULL CHECK (size >= 0),
        chunk_bytes integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      );
      CREATE INDEX uploads_expiry ON uploads (expires_at);

      CREATE TABLE records (
        id uuid PRIMARY KEY,
        owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        folder_id uuid REFERENCES folders (id),
        size bigint NOT NULL CHECK (size >= 0),
        chunk_bytes integer NOT NULL,
        metadata text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX records_owner_listing ON records (owner_id, created_at DESC, id DESC);
      CREATE INDEX records_folder ON records (folder_id);

      -- Wraps of a record's file key, one per reader (the owner; later, consented doctors).
      CREATE TABLE record_wraps (
        record_id uuid NOT NULL REFERENCES records (id) ON DELETE CASCADE,
        recipient_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        owner_id uuid NOT NULL,
        wrap text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (record_id, recipient_id)
      );
      CREATE INDEX record_wraps_recipient ON record_wraps (recipient_id);
    `);

    await db.query(`
      ALTER TABLE folders ENABLE ROW LEVEL SECURITY;
      CREATE POLICY folders_owner ON folders USING (owner_id = app_user_id()) WITH CHECK (owner_id = app_user_id());
      ALTER TABLE uploads ENABLE ROW LEVEL SECURITY;
      CREATE POLICY uploads_owner ON uploads USING (owner_id = app_user_id()) WITH CHECK (owner_id = app_user_id());
      ALTER TABLE records ENABLE ROW LEVEL SECURITY;
      CREATE POLICY records_owner ON records USING (owner_id = app_user_id()) WITH CHECK (owner_id = app_user_id());
      ALTER TABLE record_wraps ENABLE ROW LEVEL SECURITY;
      CREATE POLICY record_wraps_owner ON record_wraps USING (owner_id = app_user_id()) WITH CHECK (owner_id = app_user_id());
    `);

    // Outside any caller's context: who owns a record (so a stranger's denied attempt lands in
    // the owner's audit trail), and the sweep of uploads never committed.
    await db.query(`
      CREATE FUNCTION record_owner(p_record uuid) RETURNS uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT owner_id FROM records WHERE id = p_record UNION ALL SELECT owner_id FROM uploads WHERE record_id = p_record LIMIT 1 $$;
      CREATE FUNCTION expired_uploads(p_before timestamptz, p_limit integer)
        RETURNS TABLE (record_id uuid, owner_id uuid, size bigint, chunk_bytes integer)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
        $$ SELECT record_id, owner_id, size, chunk_bytes FROM uploads WHERE expires_at < p_before ORDER BY expires_at LIMIT p_limit $$;
      CREATE FUNCTION forget_upload(p_record uuid) RETURNS void
        LANGUAGE sql SECURITY DEFINER SET search_path = public AS
        $$ DELETE FROM uploads WHERE record_id = p_record $$;
      REVOKE ALL ON FUNCTION record_owner(uuid), expired_uploads(timestamptz, integer), forget_upload(uuid) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION record_owner(uuid), expired_uploads(timestamptz, integer), forget_upload(uuid) TO phr_app;

      GRANT SELECT, INSERT, UPDATE, DELETE ON folders, uploads, records, record_wraps TO phr_app;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP FUNCTION IF EXISTS forget_upload(uuid), expired_uploads(timestamptz, integer), record_owner(uuid);
      DROP TABLE IF EXISTS record_wraps, records, uploads, folders;
    `);
  }
}
