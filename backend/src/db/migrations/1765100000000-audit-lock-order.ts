import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Audit rows of a transaction are written together at its end (AuditService):
 * this function locks the chain heads of all their subjects in one statement,
 * always in the order of the subject ids, so two transactions that append to
 * overlapping sets of trails wait for each other instead of deadlocking.
 * Rows are locked in the order the sort returns them (LockRows sits above Sort).
 */
export class AuditLockOrder1765100000000 implements MigrationInterface {
  name = 'AuditLockOrder1765100000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION audit_chain_heads_for(p_subjects uuid[]) RETURNS TABLE (subject_id uuid, seq bigint, hash text)
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
        #variable_conflict use_column
        BEGIN
          INSERT INTO audit_chain_heads (subject_id, seq, hash)
            SELECT s.id, 0, repeat('0', 64) FROM (SELECT DISTINCT unnest(p_subjects) AS id) s ORDER BY s.id
            ON CONFLICT (subject_id) DO NOTHING;
          RETURN QUERY SELECT h.subject_id, h.seq, h.hash FROM audit_chain_heads h
            WHERE h.subject_id = ANY (p_subjects) ORDER BY h.subject_id FOR UPDATE;
        END $$;
      REVOKE ALL ON FUNCTION audit_chain_heads_for(uuid[]) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION audit_chain_heads_for(uuid[]) TO phr_app;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP FUNCTION IF EXISTS audit_chain_heads_for(uuid[])');
  }
}
