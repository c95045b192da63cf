import { Injectable } from '@nestjs/common';
import { Db } from '../db/db.service.js';
import type { OutgoingMail } from './outgoing-mail.js';

/** A queued mail its sender has claimed. */
export interface DueMail {
  id: string;
  recipient: string;
  subject: string;
  body: string;
  attempts: number;
}

/**
 * The SQL of `mail_outbox` (migration 1765200000000): no user id and no health
 * data, mails waiting for SMTP. Runs in the caller's transaction: a request's
 * (queue) or the sender's own.
 */
@Injectable()
export class MailOutboxRepository {
  constructor(private readonly db: Db) {}

  async insert(mail: OutgoingMail): Promise<void> {
    await this.db.manager().query('INSERT INTO mail_outbox (recipient, subject, body) VALUES ($1, $2, $3)', [mail.to, mail.subject, mail.text]);
  }

  /** Claims up to `batch` due mails, oldest first, for `leaseSeconds`; rows another sender holds are skipped. */
  async claimDue(batch: number, leaseSeconds: number): Promise<DueMail[]> {
    return await this.db.manager().query<DueMail[]>(
      `WITH claimed AS (
         UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
         WHERE id IN (SELECT id FROM mail_outbox WHERE next_attempt_at <= now() ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING id::text, recipient, subject, body, attempts)
       SELECT * FROM claimed ORDER BY id::bigint`,
      [batch, leaseSeconds],
    );
  }

  async retryLater(id: string, retrySeconds: number, error: string): Promise<void> {
    await this.db.manager().query(`UPDATE mail_outbox SET next_attempt_at = now() + make_interval(secs => $2), last_error = $3 WHERE id = $1`, [id, retrySeconds, error]);
  }

  async delete(id: string): Promise<void> {
    await this.db.manager().query('DELETE FROM mail_outbox WHERE id = $1', [id]);
  }
}
