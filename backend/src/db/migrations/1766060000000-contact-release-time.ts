import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The trusted contact's release time, once, in SQL. contact_released() added the wait as
 * calendar days (make_interval(days => …)), which PostgreSQL counts in the session's time zone,
 * while the API said `releasesAt` = the request + 24 hours a day: outside UTC, across a change
 * of summer time, the wraps came an hour before or after the time the parties were shown.
 * contact_release_time() is now the one rule, in hours, whatever the time zone; the API reads
 * `releasesAt` from it.
 */
export class ContactReleaseTime1766060000000 implements MigrationInterface {
  name = 'ContactReleaseTime1766060000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION contact_release_time(p_requested_at timestamptz, p_wait_days integer) RETURNS timestamptz
        LANGUAGE sql STABLE AS
        $$ SELECT p_requested_at + make_interval(hours => 24 * p_wait_days) $$;
      CREATE OR REPLACE FUNCTION contact_released(c trusted_contacts) RETURNS boolean
        LANGUAGE sql STABLE AS
        $$ SELECT c.requested_at IS NOT NULL AND contact_release_time(c.requested_at, c.wait_days) <= now() $$;
      REVOKE ALL ON FUNCTION contact_release_time(timestamptz, integer) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION contact_release_time(timestamptz, integer) TO phr_app;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE OR REPLACE FUNCTION contact_released(c trusted_contacts) RETURNS boolean
        LANGUAGE sql STABLE AS
        $$ SELECT c.requested_at IS NOT NULL AND c.requested_at + make_interval(days => c.wait_days) <= now() $$;
      DROP FUNCTION IF EXISTS contact_release_time(timestamptz, integer);
    `);
  }
}
