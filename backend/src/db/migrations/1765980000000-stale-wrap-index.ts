import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A consent's stale wraps (made for a key its doctor no longer has; docs/protocol.md "Key-pair
 * rotation") are counted from the stale wraps alone: the doctor's wraps of the patient's records
 * whose key_fingerprint sorts before or after the doctor's current one, two range scans of this
 * index. Before, each consent on a page of GET /consents joined every record of its patient in
 * scope, so a page cost the patients' whole record count even when nothing was stale.
 *
 * record_wraps_recipient_owner (recipient_id, owner_id) is replaced: this index starts with it.
 */
export class StaleWrapIndex1765980000000 implements MigrationInterface {
  name = 'StaleWrapIndex1765980000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE INDEX record_wraps_recipient_owner_key ON record_wraps (recipient_id, owner_id, key_fingerprint);
      DROP INDEX record_wraps_recipient_owner;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE INDEX IF NOT EXISTS record_wraps_recipient_owner ON record_wraps (recipient_id, owner_id);
      DROP INDEX IF EXISTS record_wraps_recipient_owner_key;
    `);
  }
}
