import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reading the audit trail (DESIGN 7): besides the subject and the auditor, an
 * actor reads the rows of their own actions, wherever they are filed (a
 * doctor's access history lives in the patients' trails).
 */
export class AuditReading1764300000000 implements MigrationInterface {
  name = 'AuditReading1764300000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE POLICY audit_events_own_actions ON audit_events FOR SELECT USING (actor_id = app_user_id());
      CREATE INDEX audit_events_actor ON audit_events (actor_id, occurred_at DESC);
      GRANT SELECT ON audit_chain_heads TO phr_app;
      ALTER TABLE audit_chain_heads ENABLE ROW LEVEL SECURITY;
      CREATE POLICY audit_chain_heads_read ON audit_chain_heads FOR SELECT USING (subject_id = app_user_id() OR app_role() = 'auditor');
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP POLICY IF EXISTS audit_chain_heads_read ON audit_chain_heads;
      ALTER TABLE audit_chain_heads DISABLE ROW LEVEL SECURITY;
      REVOKE SELECT ON audit_chain_heads FROM phr_app;
      DROP INDEX IF EXISTS audit_events_actor;
      DROP POLICY IF EXISTS audit_events_own_actions ON audit_events;
    `);
  }
}
