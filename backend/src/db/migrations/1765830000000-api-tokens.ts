import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API tokens (issue 15; docs/protocol.md "API tokens"): an auditor's short-lived, read-only
 * access token for Swagger UI or a script is a session of its own, a refresh-token family of
 * kind 'api' whose refresh token is never handed out. Ending it (revoked_at) ends the token at
 * the next request, through the same session check every request makes (app_start_request).
 */
export class ApiTokens1765830000000 implements MigrationInterface {
  name = 'ApiTokens1765830000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE refresh_tokens ADD COLUMN kind text NOT NULL DEFAULT 'browser' CONSTRAINT refresh_tokens_kind CHECK (kind IN ('browser', 'api'));
      -- What the auditor named the token for ("Swagger UI", "nightly export script"); API tokens only.
      ALTER TABLE refresh_tokens ADD COLUMN label text CONSTRAINT refresh_tokens_label CHECK ((kind = 'api') = (label IS NOT NULL));
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE refresh_tokens DROP COLUMN label, DROP COLUMN kind`);
  }
}
