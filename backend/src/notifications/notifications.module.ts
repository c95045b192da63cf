import { Module } from '@nestjs/common';
import { MailModule } from '../mail/mail.module.js';
import { NotificationMailer } from './notification-mailer.js';
import { NotificationsController } from './notifications.controller.js';
import { NotificationsRepository } from './notifications.repository.js';
import { NotificationsService } from './notifications.service.js';

/** Notifications from the account's own trail, in the portal and by mail (docs/protocol.md "Notifications"). */
@Module({
  imports: [MailModule],
  controllers: [NotificationsController],
  providers: [NotificationsService, NotificationsRepository, NotificationMailer],
})
export class NotificationsModule {}
