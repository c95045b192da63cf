import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An operator ends every session of a clinician (ASVS 5.0 7.4.2, 7.4.5; docs/protocol.md
 * "Clinicians"): refresh_tokens' RLS shows a user only their own rows, so a definer function,
 * which answers operators only and touches clinicians' accounts only, revokes every live family
 * and forgets the browsers they were signed in from (known_devices), as a user ending their own
 * session does. Returns how many live sessions it ended.
 */
export class OperatorEndsSessions1765962000000 implements MigrationInterface {
  name = 'OperatorEndsSessions1765962000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION end_clinician_sessions(p_clinician uuid) RETURNS integer
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public AS $$
        DECLARE
          live integer;
        BEGIN
          IF app_role() IS DISTINCT FROM 'operator'
             OR NOT EXISTS (SELECT 1 FROM users u WHERE u.id = app_user_id() AND u.role = 'operator')
             OR NOT EXISTS (SELECT 1 FROM clinicians c WHERE c.user_id = p_clinician) THEN
            RETURN NULL;
          END IF;
          SELECT count(DISTINCT family_id)::int INTO live FROM refresh_tokens
           WHERE user_id = p_clinician AND revoked_at IS NULL AND used_at IS NULL AND expires_at > now();
          UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = p_clinician AND revoked_at IS NULL;
          DELETE FROM known_devices WHERE user_id = p_clinician;
          RETURN live;
        END $$;
      REVOKE ALL ON FUNCTION end_clinician_sessions(uuid) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION end_clinician_sessions(uuid) TO phr_app;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP FUNCTION IF EXISTS end_clinician_sessions(uuid)');
  }
}
