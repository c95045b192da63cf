import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The key directory (DESIGN 4.5, docs/protocol.md "Key directory") and the
 * browser's sealed client state.
 *
 * The log is three append-only tables: its leaves (one binding of an account
 * to a public key each), the hashes of its complete subtrees (`key_log_nodes`,
 * level 0 being the leaf hashes), and one signed head per tree size. The one
 * row of `key_log_tree` holds the tree's size and is the log's lock:
 * `key_log_lock()` takes it, and every append holds it until its transaction
 * ends, so appends happen one at a time and in index order.
 *
 * Lock order: a transaction takes the log lock before any audit chain head.
 * Audit rows are written at the end of a transaction (AuditService, in
 * `audit_chain_heads_for`'s subject order), after the work that appends
 * leaves, so registration and erasure take the log lock, then the heads;
 * nothing that holds a chain head appends a leaf afterwards.
 *
 * The database checks what it can cheaply: a leaf must take the next index and
 * its hash must be SHA-256(0x00 || leaf bytes) computed here from its columns
 * (`key_log_leaf_json`, the same bytes the API and the portal build); a node
 * must be the hash of its two children (or, at level 0, its leaf's hash). So a
 * bug in the API cannot store a leaf whose hash does not match its binding.
 *
 * Every account that has a key now gets its leaf here, in the order the keys
 * were made; the API signs the head of the resulting tree when it starts.
 */
export class KeyDirectory1765300000000 implements MigrationInterface {
  name = 'KeyDirectory1765300000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE key_log_tree (
        is_singleton boolean PRIMARY KEY DEFAULT true CHECK (is_singleton),
        size bigint NOT NULL CHECK (size >= 0)
      );
      INSERT INTO key_log_tree (size) VALUES (0);

      CREATE TABLE key_log_leaves (
        leaf_index bigint PRIMARY KEY CHECK (leaf_index >= 0),
        user_id uuid NOT NULL,
        role text NOT NULL CHECK (role IN ('patient', 'doctor', 'auditor')),
        public_key text,
        fingerprint text CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
        bound_at timestamptz NOT NULL CHECK (bound_at = date_trunc('milliseconds', bound_at)),
        leaf_hash bytea NOT NULL CHECK (length(leaf_hash) = 32),
        CHECK ((public_key IS NULL) = (fingerprint IS NULL))
      );
      -- An account's latest binding within a tree: the highest index below the tree's size.
      CREATE INDEX key_log_leaves_user ON key_log_leaves (user_id, leaf_index DESC);

      -- Node (level, node_index) is the complete subtree over leaves [node_index·2^level, (node_index+1)·2^level).
      CREATE TABLE key_log_nodes (
        level smallint NOT NULL CHECK (level >= 0 AND level < 63),
        node_index bigint NOT NULL CHECK (node_index >= 0),
        hash bytea NOT NULL CHECK (length(hash) = 32),
        PRIMARY KEY (level, node_index)
      );

      CREATE TABLE key_log_heads (
        tree_size bigint PRIMARY KEY CHECK (tree_size >= 0),
        root_hash bytea NOT NULL CHECK (length(root_hash) = 32),
        issued_at timestamptz NOT NULL,
        signature bytea NOT NULL,
        key_id text NOT NULL CHECK (key_id ~ '^[0-9a-f]{64}$')
      );
    `);

    await db.query(`
      -- The leaf bytes of docs/protocol.md, as text: [1,userId,role,publicKey,fingerprint,boundAt], no spaces.
      -- Every value is ASCII without characters JSON escapes (UUID, role, base64url, hex, ISO time).
      CREATE FUNCTION key_log_leaf_json(p_user_id uuid, p_role text, p_public_key text, p_fingerprint text, p_bound_at timestamptz)
        RETURNS text LANGUAGE sql STABLE AS $$
        SELECT '[1,' || to_json(p_user_id::text)::text || ',' || to_json(p_role)::text || ','
          || coalesce(to_json(p_public_key)::text, 'null') || ',' || coalesce(to_json(p_fingerprint)::text, 'null') || ','
          || to_json(to_char(p_bound_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text || ']'
      $$;

      CREATE FUNCTION key_log_leaf_hash(p_user_id uuid, p_role text, p_public_key text, p_fingerprint text, p_bound_at timestamptz)
        RETURNS bytea LANGUAGE sql STABLE AS $$
        SELECT sha256('\\x00'::bytea || convert_to(key_log_leaf_json(p_user_id, p_role, p_public_key, p_fingerprint, p_bound_at), 'UTF8'))
      $$;

      -- The log's lock: the one row of key_log_tree, held until the transaction ends. Returns the size and the
      -- database's time, so that bindings and heads are dated by one clock, in the order they were appended.
      CREATE FUNCTION key_log_lock() RETURNS TABLE (size bigint, now timestamptz)
        LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
        SELECT t.size, date_trunc('milliseconds', clock_timestamp()) FROM key_log_tree t FOR UPDATE
      $$;

      CREATE FUNCTION key_log_leaves_append() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
        DECLARE current_size bigint;
        BEGIN
          SELECT t.size INTO current_size FROM key_log_tree t FOR UPDATE;
          IF NEW.leaf_index <> current_size THEN
            RAISE EXCEPTION 'key log leaf % is not the next one (%)', NEW.leaf_index, current_size USING ERRCODE = 'integrity_constraint_violation';
          END IF;
          IF NEW.leaf_hash <> key_log_leaf_hash(NEW.user_id, NEW.role, NEW.public_key, NEW.fingerprint, NEW.bound_at) THEN
            RAISE EXCEPTION 'key log leaf % does not hash to its binding', NEW.leaf_index USING ERRCODE = 'integrity_constraint_violation';
          END IF;
          UPDATE key_log_tree SET size = current_size + 1;
          RETURN NEW;
        END $$;
      CREATE TRIGGER key_log_leaves_append BEFORE INSERT ON key_log_leaves
        FOR EACH ROW EXECUTE FUNCTION key_log_leaves_append();

      CREATE FUNCTION key_log_nodes_check() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
        DECLARE expected bytea;
        BEGIN
          IF NEW.level = 0 THEN
            SELECT l.leaf_hash INTO expected FROM key_log_leaves l WHERE l.leaf_index = NEW.node_index;
          ELSE
            SELECT sha256('\\x01'::bytea || a.hash || b.hash) INTO expected
              FROM key_log_nodes a, key_log_nodes b
              WHERE a.level = NEW.level - 1 AND a.node_index = NEW.node_index * 2
                AND b.level = NEW.level - 1 AND b.node_index = NEW.node_index * 2 + 1;
          END IF;
          IF expected IS NULL OR expected <> NEW.hash THEN
            RAISE EXCEPTION 'key log node %/% is not the hash of its children', NEW.level, NEW.node_index USING ERRCODE = 'integrity_constraint_violation';
          END IF;
          RETURN NEW;
        END $$;
      CREATE TRIGGER key_log_nodes_check BEFORE INSERT ON key_log_nodes
        FOR EACH ROW EXECUTE FUNCTION key_log_nodes_check();

      CREATE FUNCTION key_log_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
        END $$;
      CREATE TRIGGER key_log_leaves_append_only BEFORE UPDATE OR DELETE ON key_log_leaves FOR EACH ROW EXECUTE FUNCTION key_log_reject_change();
      CREATE TRIGGER key_log_leaves_no_truncate BEFORE TRUNCATE ON key_log_leaves FOR EACH STATEMENT EXECUTE FUNCTION key_log_reject_change();
      CREATE TRIGGER key_log_nodes_append_only BEFORE UPDATE OR DELETE ON key_log_nodes FOR EACH ROW EXECUTE FUNCTION key_log_reject_change();
      CREATE TRIGGER key_log_nodes_no_truncate BEFORE TRUNCATE ON key_log_nodes FOR EACH STATEMENT EXECUTE FUNCTION key_log_reject_change();
      CREATE TRIGGER key_log_heads_append_only BEFORE UPDATE OR DELETE ON key_log_heads FOR EACH ROW EXECUTE FUNCTION key_log_reject_change();
      CREATE TRIGGER key_log_heads_no_truncate BEFORE TRUNCATE ON key_log_heads FOR EACH STATEMENT EXECUTE FUNCTION key_log_reject_change();
    `);

    // The accounts that have a key today, oldest key first, with the fingerprint computed from the key
    // (SHA-256 of the SPKI bytes, as fingerprintOf does); then every complete subtree, level by level.
    // The triggers check one row at a time against the rows before it. The append trigger's update of the
    // one tree row would leave a row version per leaf to walk (quadratic: 40 s for 20,000 accounts), so the
    // backfill sets the size once; its leaf hashes come from key_log_leaf_hash, the function the trigger
    // checks against, and its nodes from the same formula the node trigger checks (that check, per row,
    // doubled the time). Both triggers are on again for every later append.
    await db.query(`
      ALTER TABLE key_log_leaves DISABLE TRIGGER key_log_leaves_append;
      INSERT INTO key_log_leaves (leaf_index, user_id, role, public_key, fingerprint, bound_at, leaf_hash)
        SELECT b.position - 1, b.user_id, b.role, b.public_key, b.fingerprint, b.bound_at,
               key_log_leaf_hash(b.user_id, b.role, b.public_key, b.fingerprint, b.bound_at)
          FROM (SELECT row_number() OVER (ORDER BY k.created_at, k.user_id) AS position, u.id AS user_id, u.role,
                       k.public_key, date_trunc('milliseconds', k.created_at) AS bound_at,
                       encode(sha256(decode(rpad(translate(k.public_key, '-_', '+/'), (length(k.public_key) + 3) / 4 * 4, '='), 'base64')), 'hex') AS fingerprint
                  FROM public_keys k JOIN users u ON u.id = k.user_id) b
          ORDER BY b.position;
      ALTER TABLE key_log_leaves ENABLE TRIGGER key_log_leaves_append;
      UPDATE key_log_tree SET size = (SELECT count(*) FROM key_log_leaves);
      ALTER TABLE key_log_nodes DISABLE TRIGGER key_log_nodes_check;
      DO $$
        DECLARE
          current_level smallint := 0;
          added bigint;
        BEGIN
          INSERT INTO key_log_nodes (level, node_index, hash) SELECT 0, leaf_index, leaf_hash FROM key_log_leaves ORDER BY leaf_index;
          LOOP
            INSERT INTO key_log_nodes (level, node_index, hash)
              SELECT current_level + 1, n.node_index / 2, sha256('\\x01'::bytea || string_agg(n.hash, ''::bytea ORDER BY n.node_index))
                FROM key_log_nodes n WHERE n.level = current_level
                GROUP BY n.node_index / 2 HAVING count(*) = 2
                ORDER BY n.node_index / 2;
            GET DIAGNOSTICS added = ROW_COUNT;
            EXIT WHEN added = 0;
            current_level := current_level + 1;
          END LOOP;
        END $$;
      ALTER TABLE key_log_nodes ENABLE TRIGGER key_log_nodes_check;
    `);

    // The browser's sealed memory across devices (docs/protocol.md "Client state"): opaque to the server.
    await db.query(`
      CREATE TABLE client_states (
        user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        version bigint NOT NULL CHECK (version >= 1),
        sealed text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      ALTER TABLE client_states ENABLE ROW LEVEL SECURITY;
      CREATE POLICY client_states_self ON client_states USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
    `);

    await db.query(`
      -- The directory is public to every signed-in user, as public_keys is; a leaf names the account that appends it.
      ALTER TABLE key_log_leaves ENABLE ROW LEVEL SECURITY;
      CREATE POLICY key_log_leaves_read ON key_log_leaves FOR SELECT USING (app_user_id() IS NOT NULL);
      CREATE POLICY key_log_leaves_append_own ON key_log_leaves FOR INSERT WITH CHECK (user_id = app_user_id());

      REVOKE ALL ON key_log_tree, key_log_leaves, key_log_nodes, key_log_heads, client_states FROM PUBLIC;
      REVOKE ALL ON FUNCTION key_log_lock(), key_log_leaf_json(uuid, text, text, text, timestamptz), key_log_leaf_hash(uuid, text, text, text, timestamptz) FROM PUBLIC;
      GRANT SELECT ON key_log_tree TO phr_app;
      GRANT SELECT, INSERT ON key_log_leaves, key_log_nodes, key_log_heads TO phr_app;
      GRANT SELECT, INSERT, UPDATE ON client_states TO phr_app;
      GRANT EXECUTE ON FUNCTION key_log_lock(), key_log_leaf_json(uuid, text, text, text, timestamptz), key_log_leaf_hash(uuid, text, text, text, timestamptz) TO phr_app;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP TABLE IF EXISTS client_states, key_log_heads, key_log_nodes, key_log_leaves, key_log_tree CASCADE;
      DROP FUNCTION IF EXISTS key_log_reject_change(), key_log_nodes_check(), key_log_leaves_append(), key_log_lock(),
        key_log_leaf_hash(uuid, text, text, text, timestamptz), key_log_leaf_json(uuid, text, text, text, timestamptz);
    `);
  }
}
