import { Injectable } from '@nestjs/common';
import { Db } from '../db/db.service.js';
import { MailOutboxRepository } from './mail-outbox.repository.js';
import { MailSender } from './mail-sender.js';
import type { OutgoingMail } from './outgoing-mail.js';

/**
 * Queues mail in the request's own transaction (table `mail_outbox`): it is
 * sent only if the request commits, the answer never waits on SMTP, and a
 * restart loses nothing. The sender is woken once the transaction commits.
 */
@Injectable()
export class MailOutbox {
  constructor(
    private readonly db: Db,
    private readonly outbox: MailOutboxRepository,
    private readonly sender: MailSender,
  ) {}

  async queue(mail: OutgoingMail): Promise<void> {
    await this.outbox.insert(mail);
    this.db.afterCommit(() => this.sender.wake());
  }
}
