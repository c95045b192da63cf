import type { MigrationInterface, QueryRunner } from 'typeorm';
import { NOTIFIABLE_SQL, wantedSql } from '../../notifications/notifiable.js';

/**
 * Notifications and names in the trail (issue 15, docs/protocol.md "Notifications"):
 *
 * - Notifications are audit rows of a few kinds (notifiable.ts), read from the account's own
 *   trail through a partial index on (subject_id, seq): the list and the unread count are one
 *   bounded range scan whatever the trail's size. `notification_settings` keeps, per account,
 *   the seq read up to, the kinds opted out of (portal, mail), and the mail job's progress.
 * - Mail: a trigger marks the subject of each notifiable row in `notification_mail_due`, in the
 *   transaction that appends the row (nothing is lost, nothing is sent for a rolled-back
 *   action). The job (notification_mails_due) takes due accounts not mailed within the gap,
 *   moves their mailed-up-to seq, and returns those that want a mail: one mail per account per
 *   gap, however many rows came.
 * - audit_people: display names of the people of a trail, for display (definer: users' RLS
 *   shows only the caller's own row). Distinct actors are read by skipping through the
 *   (subject_id, actor_id, …) index, one probe per person, not per row.
 */
export class Notifications1765810000000 implements MigrationInterface {
  name = 'Notifications1765810000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE INDEX audit_events_notifications ON audit_events (subject_id, seq DESC) WHERE ${NOTIFIABLE_SQL};

      CREATE TABLE notification_settings (
        user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        read_seq bigint NOT NULL DEFAULT 0,
        portal_opt_out text[] NOT NULL DEFAULT '{}',
        email_opt_out text[] NOT NULL DEFAULT '{}',
        emailed_seq bigint NOT NULL DEFAULT 0,
        last_emailed_at timestamptz
      );
      ALTER TABLE notification_settings ENABLE ROW LEVEL SECURITY;
      CREATE POLICY notification_settings_self ON notification_settings USING (user_id = app_user_id()) WITH CHECK (user_id = app_user_id());
      REVOKE ALL ON notification_settings FROM PUBLIC;
      GRANT SELECT, INSERT, UPDATE ON notification_settings TO phr_app;

      -- No foreign key: an erased subject's rows must still append (the job drops them).
      CREATE TABLE notification_mail_due (
        subject_id uuid PRIMARY KEY,
        first_at timestamptz NOT NULL DEFAULT now()
      );
      ALTER TABLE notification_mail_due ENABLE ROW LEVEL SECURITY;
      REVOKE ALL ON notification_mail_due FROM PUBLIC;

      -- DO UPDATE (not NOTHING) takes the row's lock: a job holding it finishes first, so a
      -- row it could not see is never taken as mailed. WHERE false locks without writing a row
      -- version (many notifiable rows of one subject in one transaction, as the seed writes them).
      -- A subject with no account (the unknown sign-in's, an erased one) is not marked.
      CREATE FUNCTION audit_events_mark_notification_due() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
        BEGIN
          INSERT INTO notification_mail_due (subject_id) SELECT NEW.subject_id WHERE EXISTS (SELECT 1 FROM users WHERE id = NEW.subject_id)
            ON CONFLICT (subject_id) DO UPDATE SET first_at = notification_mail_due.first_at WHERE false;
          RETURN NULL;
        END $$;
      CREATE TRIGGER audit_events_notification_due AFTER INSERT ON audit_events
        FOR EACH ROW WHEN (${NOTIFIABLE_SQL.replace(/\b(outcome|actor_id|subject_id|action)\b/g, 'NEW.$1')})
        EXECUTE FUNCTION audit_events_mark_notification_due();

      -- An erased account leaves no mark naming it (GDPR Art. 17: only the trail keeps its id).
      CREATE FUNCTION users_forget_notification_due() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
        BEGIN
          DELETE FROM notification_mail_due WHERE subject_id = OLD.id;
          RETURN NULL;
        END $$;
      CREATE TRIGGER users_forget_notification_due AFTER DELETE ON users
        FOR EACH ROW EXECUTE FUNCTION users_forget_notification_due();

      ${notificationMailsDueFunction()}

      CREATE FUNCTION audit_people(p_subject uuid, p_ids uuid[]) RETURNS TABLE (id uuid, display_name text, role text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
          WITH RECURSIVE actors (id) AS (
            (SELECT e.actor_id FROM audit_events e
              WHERE p_ids IS NULL AND e.subject_id = p_subject AND e.actor_id IS NOT NULL ORDER BY e.actor_id LIMIT 1)
            UNION ALL
            SELECT (SELECT e.actor_id FROM audit_events e
                     WHERE e.subject_id = p_subject AND e.actor_id > a.id ORDER BY e.actor_id LIMIT 1)
              FROM actors a WHERE a.id IS NOT NULL
          )
          SELECT u.id, u.display_name, u.role FROM users u
           WHERE (app_role() = 'auditor' OR p_subject = app_user_id())
             AND CASE WHEN p_ids IS NULL THEN u.id = p_subject OR u.id IN (SELECT a.id FROM actors a WHERE a.id IS NOT NULL)
                 ELSE u.id = ANY (p_ids) AND (app_role() = 'auditor' OR u.id = p_subject
                   OR EXISTS (SELECT 1 FROM audit_events e WHERE e.subject_id = p_subject AND e.actor_id = u.id)) END
           ORDER BY u.display_name, u.id $$;

      REVOKE ALL ON FUNCTION audit_events_mark_notification_due(), users_forget_notification_due(), notification_mails_due(integer, integer), audit_people(uuid, uuid[]) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION notification_mails_due(integer, integer), audit_people(uuid, uuid[]) TO phr_app;
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      DROP TRIGGER IF EXISTS audit_events_notification_due ON audit_events;
      DROP TRIGGER IF EXISTS users_forget_notification_due ON users;
      DROP FUNCTION IF EXISTS audit_events_mark_notification_due(), users_forget_notification_due(), notification_mails_due(integer, integer), audit_people(uuid, uuid[]);
      DROP TABLE IF EXISTS notification_mail_due, notification_settings;
      DROP INDEX IF EXISTS audit_events_notifications;
    `);
  }
}

/**
 * The mail job's function, over the notifiable rows as notifiable.ts says today: a later
 * migration that changes which rows are notifiable makes it again from here.
 */
export function notificationMailsDueFunction(): string {
  return `
      CREATE OR REPLACE FUNCTION notification_mails_due(p_gap_seconds integer, p_limit integer) RETURNS TABLE (user_id uuid, email text)
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
        DECLARE
          due record;
          latest bigint;
          is_wanted boolean;
        BEGIN
          FOR due IN
            SELECT d.subject_id, u.email, coalesce(s.emailed_seq, 0) AS emailed_seq, coalesce(s.email_opt_out, '{}') AS opt_out
              FROM notification_mail_due d
              LEFT JOIN users u ON u.id = d.subject_id
              LEFT JOIN notification_settings s ON s.user_id = d.subject_id
             WHERE s.last_emailed_at IS NULL OR s.last_emailed_at <= now() - make_interval(secs => p_gap_seconds)
             ORDER BY d.first_at LIMIT p_limit
             FOR UPDATE OF d SKIP LOCKED
          LOOP
            DELETE FROM notification_mail_due WHERE subject_id = due.subject_id;
            CONTINUE WHEN due.email IS NULL;
            SELECT max(e.seq), coalesce(bool_or(${wantedSql('due.opt_out').replace(/\b(outcome|action)\b/g, 'e.$1')}), false)
              INTO latest, is_wanted
              FROM audit_events e
             WHERE e.subject_id = due.subject_id AND e.seq > due.emailed_seq AND ${NOTIFIABLE_SQL};
            CONTINUE WHEN latest IS NULL;
            INSERT INTO notification_settings AS s (user_id, emailed_seq, last_emailed_at)
              VALUES (due.subject_id, latest, CASE WHEN is_wanted THEN now() END)
              ON CONFLICT ON CONSTRAINT notification_settings_pkey
              DO UPDATE SET emailed_seq = excluded.emailed_seq, last_emailed_at = coalesce(excluded.last_emailed_at, s.last_emailed_at);
            IF is_wanted THEN
              user_id := due.subject_id;
              email := due.email;
              RETURN NEXT;
            END IF;
          END LOOP;
        END $$;`;
}

/**
 * The notifiable rows as notifiable.ts says today: the partial index, the trigger's condition and
 * the mail job repeat its text (migration 1765810000000), so they are made again from it.
 */
export async function remakeNotifiable(db: QueryRunner): Promise<void> {
  await db.query(`
    DROP INDEX IF EXISTS audit_events_notifications;
    CREATE INDEX audit_events_notifications ON audit_events (subject_id, seq DESC) WHERE ${NOTIFIABLE_SQL};
    DROP TRIGGER IF EXISTS audit_events_notification_due ON audit_events;
    CREATE TRIGGER audit_events_notification_due AFTER INSERT ON audit_events
      FOR EACH ROW WHEN (${NOTIFIABLE_SQL.replace(/\b(outcome|actor_id|subject_id|action)\b/g, 'NEW.$1')})
      EXECUTE FUNCTION audit_events_mark_notification_due();
    ${notificationMailsDueFunction()}
  `);
}
