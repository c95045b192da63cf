import { Module } from '@nestjs/common';
import { MailOutbox } from './mail-outbox.js';
import { MailSender } from './mail-sender.js';

/** Outgoing mail: the outbox that requests queue into, and the job that sends it over SMTP (SMTP_URL). */
@Module({
  providers: [MailOutbox, MailSender],
  exports: [MailOutbox],
})
export class MailModule {}
