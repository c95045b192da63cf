import { Module } from '@nestjs/common';
import { MailOutbox } from './mail-outbox.js';
import { MailOutboxRepository } from './mail-outbox.repository.js';
import { MailSender } from './mail-sender.js';

/** Outgoing mail: the outbox that requests queue into, and the job that sends it over SMTP (SMTP_URL). */
@Module({
  providers: [MailOutbox, MailOutboxRepository, MailSender],
  exports: [MailOutbox],
})
export class MailModule {}
