import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An auditor finds an account by name on the server (POST /audit/accounts/search), instead of
 * the portal filtering only the pages of GET /audit/accounts it had fetched. Like
 * audit_accounts, a definer function (users' RLS shows only the caller's own row) that answers
 * auditors only, a page at a time in id order from `p_after`. Every pattern of `p_patterns`
 * (one per word, LIKE-escaped and lower-cased by the API) must match the account's name as the
 * portal shows it ("dr " before a doctor's) and its role, lower-cased.
 *
 * The filter is not indexed: a search walks the accounts in id order until a page is full, so
 * a rare name costs a scan of `users` (an auditor's occasional look-up; docs/scaling.md).
 */
export class AuditAccountSearch1766000000000 implements MigrationInterface {
  name = 'AuditAccountSearch1766000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION audit_accounts_matching(p_patterns text[], p_after uuid, p_limit integer) RETURNS TABLE (id uuid, display_name text, role text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
          SELECT u.id, u.display_name, u.role FROM users u
           WHERE app_role() = 'auditor' AND (p_after IS NULL OR u.id > p_after)
             AND lower(CASE WHEN u.role = 'doctor' THEN 'dr ' ELSE '' END || u.display_name || ' ' || u.role) LIKE ALL (p_patterns)
           ORDER BY u.id LIMIT p_limit $$;
      REVOKE ALL ON FUNCTION audit_accounts_matching(text[], uuid, integer) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION audit_accounts_matching(text[], uuid, integer) TO phr_app;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP FUNCTION IF EXISTS audit_accounts_matching(text[], uuid, integer)`);
  }
}
