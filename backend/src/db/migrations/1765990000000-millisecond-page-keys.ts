import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The times that order a cursor-paged listing hold milliseconds, as the cursor does.
 *
 * A page's cursor carries its last row's time as JavaScript writes it (`toISOString`, three
 * fractional digits). A row written with PostgreSQL's `now()` (an operator's restore, a script,
 * a default) held microseconds: a row a few microseconds after the cursor's last row but in the
 * same millisecond compared as newer than the cursor and was left out of every later page.
 * timestamptz(3) rounds every value to the millisecond as it is stored, so a cursor names its
 * row exactly. What the API wrote from JavaScript dates is whole milliseconds already and does
 * not change; what SQL wrote with now() (the clinicians backfill of 1765500000000, the operator's
 * clinician function, a restore) is rounded, which moves a row by less than a millisecond and
 * leaves ties to the id, as the listings already order them.
 */
export class MillisecondPageKeys1765990000000 implements MigrationInterface {
  name = 'MillisecondPageKeys1765990000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE records ALTER COLUMN created_at TYPE timestamptz(3);
      ALTER TABLE consents ALTER COLUMN created_at TYPE timestamptz(3);
      ALTER TABLE clinicians ALTER COLUMN requested_at TYPE timestamptz(3);
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE records ALTER COLUMN created_at TYPE timestamptz;
      ALTER TABLE consents ALTER COLUMN created_at TYPE timestamptz;
      ALTER TABLE clinicians ALTER COLUMN requested_at TYPE timestamptz;
    `);
  }
}
