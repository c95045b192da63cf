import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The auditor's list of accounts (issue 15: "whose trail" offers any account, not only those on
 * the page of the trail shown; docs/protocol.md "Names in the trail"). audit_accounts is a
 * definer function (users' RLS shows only the caller's own row) that answers auditors only,
 * a page at a time in id order from `p_after` (the primary key's index): no name or email in
 * the cursor, so none in a URL.
 */
export class AuditAccounts1765850000000 implements MigrationInterface {
  name = 'AuditAccounts1765850000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION audit_accounts(p_after uuid, p_limit integer) RETURNS TABLE (id uuid, display_name text, role text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
          SELECT u.id, u.display_name, u.role FROM users u
           WHERE app_role() = 'auditor' AND (p_after IS NULL OR u.id > p_after)
           ORDER BY u.id LIMIT p_limit $$;
      REVOKE ALL ON FUNCTION audit_accounts(uuid, integer) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION audit_accounts(uuid, integer) TO phr_app;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP FUNCTION IF EXISTS audit_accounts(uuid, integer)`);
  }
}
