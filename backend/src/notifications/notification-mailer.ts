import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { PeriodicTask } from '../common/periodic-task.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ANONYMOUS, Db } from '../db/db.service.js';
import { MailOutbox } from '../mail/mail-outbox.js';
import { notificationMail } from './notification-mails.js';
import { NotificationsRepository } from './notifications.repository.js';

/** Accounts mailed per transaction. */
const BATCH = 50;

/**
 * Mails "something happened, sign in to see" (docs/protocol.md "Notifications") every
 * NOTIFICATION_MAIL_INTERVAL_SECONDS (0: never by itself; tests call `run`). The trigger of
 * migration 1765810000000 marks an account due in the transaction of the audit row; each run
 * takes due accounts not mailed within NOTIFICATION_MAIL_GAP_SECONDS and queues at most one
 * mail each through the outbox, in the same transaction: a flood of refusals is one mail.
 */
@Injectable()
export class NotificationMailer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Notifications');
  private readonly task = new PeriodicTask(
    () => this.queueDue(),
    (error) => this.logger.error(`Notification mails failed: ${error instanceof Error ? error.message : String(error)}`),
  );

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: Db,
    private readonly notifications: NotificationsRepository,
    private readonly outbox: MailOutbox,
  ) {}

  onApplicationBootstrap(): void {
    this.task.start(this.config.notifications.mailIntervalSeconds);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.task.stop();
  }

  /** Queues the mails due now; returns how many. A call while one runs waits for it. */
  run(): Promise<number> {
    return this.task.run();
  }

  private async queueDue(): Promise<number> {
    let queued = 0;
    for (;;) {
      const due = await this.db.runAsJob('notification-mail', ANONYMOUS, async () => {
        const accounts = await this.notifications.takeMailsDue(this.config.notifications.mailGapSeconds, BATCH);
        for (const account of accounts) await this.outbox.queue(notificationMail(this.config.portalOrigin, account.email));
        return accounts.length;
      });
      queued += due;
      if (due < BATCH) return queued;
    }
  }
}
