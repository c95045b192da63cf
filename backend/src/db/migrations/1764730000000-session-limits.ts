import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Session limits and request rates (ASVS 3.3.2, 3.3.4, 8.1.4).
 *
 * Every refresh token carries when its family began (the password sign-in),
 * so a refresh past the absolute limit is refused, and the browser it was
 * issued to (user agent, IP) so a user can tell their sessions apart. The
 * rate-limit counters are keyed by an HMAC of the user id or the IP, hold no
 * per-user data, and are shared by every API instance.
 */
export class SessionLimits1764730000000 implements MigrationInterface {
  name = 'SessionLimits1764730000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE refresh_tokens
        ADD COLUMN family_started_at timestamptz,
        ADD COLUMN ip text,
        ADD COLUMN user_agent text;
      UPDATE refresh_tokens t SET family_started_at = f.started
        FROM (SELECT family_id, min(created_at) AS started FROM refresh_tokens GROUP BY family_id) f
        WHERE f.family_id = t.family_id;
      ALTER TABLE refresh_tokens
        ALTER COLUMN family_started_at SET NOT NULL,
        ALTER COLUMN family_started_at SET DEFAULT now();

      CREATE TABLE rate_limits (
        key text PRIMARY KEY,
        window_started_at timestamptz NOT NULL,
        hits integer NOT NULL
      );
      CREATE INDEX rate_limits_window ON rate_limits (window_started_at);
      GRANT SELECT, INSERT, UPDATE, DELETE ON rate_limits TO phr_app;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP TABLE IF EXISTS rate_limits;
      ALTER TABLE refresh_tokens DROP COLUMN IF EXISTS user_agent, DROP COLUMN IF EXISTS ip, DROP COLUMN IF EXISTS family_started_at;
    `);
  }
}
