import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * GET /consents?status= in pages (ConsentsRepository.pageNewestFor): a page of one status was
 * read from the party's index of all its consents (migration 1765970000000), filtering out the
 * others, so a doctor with thousands of revoked consents and a few active ones read them all to
 * fill a page of active ones. Each party now has an index by status that ends in the page order,
 * so such a page is one range scan that stops after the page. consents_doctor (doctor_id,
 * status) is the new doctor index's prefix, and goes.
 */
export class ConsentStatusPages1766020000000 implements MigrationInterface {
  name = 'ConsentStatusPages1766020000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE INDEX consents_patient_status_newest ON consents (patient_id, status, created_at DESC, id DESC);
      CREATE INDEX consents_doctor_status_newest ON consents (doctor_id, status, created_at DESC, id DESC);
      DROP INDEX consents_doctor;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE INDEX IF NOT EXISTS consents_doctor ON consents (doctor_id, status);
      DROP INDEX IF EXISTS consents_doctor_status_newest;
      DROP INDEX IF EXISTS consents_patient_status_newest;
    `);
  }
}
