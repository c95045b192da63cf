import type { MigrationInterface, QueryRunner } from 'typeorm';

/** An account's name as the portal shows it ("dr " before a doctor's), then its role, lower-cased: what the search matches. */
export const SHOWN_NAME = `lower(CASE WHEN u.role = 'doctor' THEN 'dr ' ELSE '' END || u.display_name || ' ' || u.role)`;

/**
 * The auditors' account search (POST /audit/accounts/search, audit_accounts_matching, migration
 * 1766000000000) walked `users` in id order until a page was full, so a word few accounts hold
 * read every account. A trigram index (pg_trgm, a trusted extension the database owner may
 * create) on the shown name now finds the accounts that may hold the search's longest word.
 * The index takes each new account at once (fastupdate off: no pending list for every search
 * to read through until a vacuum merges it; accounts are made rarely). The function plans each
 * call for its words (plan_cache_mode = force_custom_plan): with a rare word the planner takes
 * the index and sorts the few accounts found by id; with a common one, or a word of fewer than
 * three characters (which has no trigram), it still walks the accounts in id order, which then
 * fills a page quickly. The words are lower-cased here, by the lower() that lower-cases the
 * names (the API used to send them lower-cased by JavaScript, which makes 'İ' two characters,
 * 'i' and a combining dot, where PostgreSQL makes it 'i'). Otherwise answers are unchanged:
 * every word must match, in id order after `p_after`, to auditors only.
 */
export class AccountSearchTrigrams1766030000000 implements MigrationInterface {
  name = 'AccountSearchTrigrams1766030000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE EXTENSION IF NOT EXISTS pg_trgm;
      ${accountSearch(SHOWN_NAME, (word) => `lower(${word})`)}
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP FUNCTION IF EXISTS audit_accounts_matching(text[], uuid, integer);
      CREATE FUNCTION audit_accounts_matching(p_patterns text[], p_after uuid, p_limit integer) RETURNS TABLE (id uuid, display_name text, role text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
          SELECT u.id, u.display_name, u.role FROM users u
           WHERE app_role() = 'auditor' AND (p_after IS NULL OR u.id > p_after)
             AND ${SHOWN_NAME} LIKE ALL (p_patterns)
           ORDER BY u.id LIMIT p_limit $$;
      REVOKE ALL ON FUNCTION audit_accounts_matching(text[], uuid, integer) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION audit_accounts_matching(text[], uuid, integer) TO phr_app;
      DROP INDEX IF EXISTS users_shown_name_trigrams;
    `);
  }
}

/**
 * The trigram index on `shownName` (an expression over `users u`) and audit_accounts_matching,
 * whose words are made comparable with it by `normalizeWord` (an SQL expression of its argument).
 */
export function accountSearch(shownName: string, normalizeWord: (word: string) => string): string {
  return `
      CREATE INDEX users_shown_name_trigrams ON users USING gin ((${shownName.replaceAll('u.', '')}) gin_trgm_ops) WITH (fastupdate = off);
      DROP FUNCTION audit_accounts_matching(text[], uuid, integer);
      CREATE FUNCTION audit_accounts_matching(p_patterns text[], p_after uuid, p_limit integer) RETURNS TABLE (id uuid, display_name text, role text)
        LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public SET plan_cache_mode = force_custom_plan AS $$
        #variable_conflict use_column
        DECLARE
          longest text;
        BEGIN
          IF app_role() IS DISTINCT FROM 'auditor' THEN
            RETURN;
          END IF;
          -- Lower-cased by the same lower() as the names: JavaScript's toLowerCase() differs for some letters ('İ').
          p_patterns := ARRAY(SELECT ${normalizeWord('pattern')} FROM unnest(p_patterns) AS pattern);
          -- The longest word has the most trigrams: the index's best key. Every word is still checked.
          longest := coalesce((SELECT pattern FROM unnest(p_patterns) AS pattern ORDER BY length(pattern) DESC LIMIT 1), '%');
          RETURN QUERY
            SELECT u.id, u.display_name, u.role FROM users u
             WHERE (p_after IS NULL OR u.id > p_after) AND ${shownName} LIKE longest AND ${shownName} LIKE ALL (p_patterns)
             ORDER BY u.id LIMIT p_limit;
        END $$;
      REVOKE ALL ON FUNCTION audit_accounts_matching(text[], uuid, integer) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION audit_accounts_matching(text[], uuid, integer) TO phr_app;`;
}
