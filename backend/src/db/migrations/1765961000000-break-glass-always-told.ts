import type { MigrationInterface, QueryRunner } from 'typeorm';
import { notificationMailsDueFunction } from './1765810000000-notifications.js';

/**
 * A break-glass notification can no longer be opted out of (notifiable.ts wantedSql): the mail
 * job's function, which repeats that condition, is made again.
 */
export class BreakGlassAlwaysTold1765961000000 implements MigrationInterface {
  name = 'BreakGlassAlwaysTold1765961000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(notificationMailsDueFunction());
  }

  /** The function follows notifiable.ts as it is; the earlier text is not kept. */
  async down(db: QueryRunner): Promise<void> {
    await db.query(notificationMailsDueFunction());
  }
}
