import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Notifications are for patients and doctors (docs/protocol.md "Notifications": an auditor or an
 * operator gets 403 on every notification route and has no settings to opt out with), but the
 * trigger marked any account's notifiable row for the mail job, so a failed sign-in on an
 * auditor's account mailed "Something happened … sign in to see what" with a link to a page that
 * account cannot open. The trigger now marks patients' and doctors' rows only; staff marks
 * already waiting go. A staff member's own trail and the security events still hold every row.
 */
export class StaffNotificationMail1766070000000 implements MigrationInterface {
  name = 'StaffNotificationMail1766070000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(markDueFunction(`role IN ('patient', 'doctor')`));
    await db.query(`DELETE FROM notification_mail_due d USING users u WHERE u.id = d.subject_id AND u.role NOT IN ('patient', 'doctor')`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(markDueFunction('true'));
  }
}

/** As migration 1765810000000 made it, for the accounts `accountCondition` (SQL over `users`) takes. */
function markDueFunction(accountCondition: string): string {
  return `
    CREATE OR REPLACE FUNCTION audit_events_mark_notification_due() RETURNS trigger
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
      BEGIN
        INSERT INTO notification_mail_due (subject_id) SELECT NEW.subject_id WHERE EXISTS (SELECT 1 FROM users WHERE id = NEW.subject_id AND ${accountCondition})
          ON CONFLICT (subject_id) DO UPDATE SET first_at = notification_mail_due.first_at WHERE false;
        RETURN NULL;
      END $$;`;
}
