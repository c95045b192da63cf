import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Erasure of one's own account (GDPR Art. 17, docs/erasure.md). The caller
 * deletes their own `users` row (RLS `users_self` admits only that row); the
 * foreign keys cascade to credentials, public key, refresh tokens, folders,
 * uploads, records, every wrap of those records, wraps made for the caller,
 * and consents naming the caller. Referential actions run as the table owner,
 * so the application role needs DELETE on `users` only. `audit_events` has no
 * foreign key to `users`: the trail outlives the account (legal retention).
 */
export class AccountErasure1764560000000 implements MigrationInterface {
  name = 'AccountErasure1764560000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`GRANT DELETE ON users TO phr_app;`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`REVOKE DELETE ON users FROM phr_app;`);
  }
}
