import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ANONYMOUS, Db } from '../db/db.service.js';
import { MailOutboxRepository, type DueMail } from './mail-outbox.repository.js';
import { SmtpTransport } from './smtp-transport.js';

/** Mails claimed per round. */
const BATCH = 10;
/** A claimed mail is left to its sender this long; if that process dies, another sends it after. */
const LEASE_SECONDS = 120;
const MAX_RETRY_SECONDS = 3600;

/**
 * Sends what MailOutbox queued: woken when a transaction that queued mail
 * commits, and every MAIL_RETRY_SECONDS for retries and for mail that another
 * API instance queued or left behind. Each mail is claimed with a lease
 * (several API instances never send one at once), sent, then deleted; a
 * failure is tried again later, waiting longer each time (MAIL_RETRY_SECONDS,
 * twice that, … up to an hour). The log names the mail's row, never its
 * recipient or text.
 */
@Injectable()
export class MailSender implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Mail');
  private readonly transport: SmtpTransport;
  private readonly retrySeconds: number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private isWokenWhileRunning = false;
  private isStopped = false;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly db: Db,
    private readonly outbox: MailOutboxRepository,
  ) {
    this.transport = new SmtpTransport(config.mail);
    this.retrySeconds = config.mail.retrySeconds;
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.wake(), this.retrySeconds * 1000);
    this.timer.unref();
    this.wake();
  }

  /**
   * Waits for the mail being sent, then closes the SMTP client; what is left
   * stays queued for the next start. Runs before the database pool closes.
   */
  async onModuleDestroy(): Promise<void> {
    this.isStopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    this.transport.close();
  }

  /** Sends every due mail; a call while sending makes the sender look once more when done. */
  wake(): void {
    if (this.isStopped) return;
    if (this.running) {
      this.isWokenWhileRunning = true;
      return;
    }
    this.running = this.sendDue()
      .catch((error: unknown) => this.logger.error(`Sending queued mail failed: ${describe(error)}`))
      .finally(() => {
        this.running = null;
        if (this.isWokenWhileRunning) {
          this.isWokenWhileRunning = false;
          this.wake();
        }
      });
  }

  private async sendDue(): Promise<void> {
    for (;;) {
      const due = await this.claimDue();
      if (due.length === 0) return;
      for (const mail of due) await this.deliver(mail);
      if (this.isStopped) return;
    }
  }

  private claimDue(): Promise<DueMail[]> {
    return this.db.runAs(ANONYMOUS, () => this.outbox.claimDue(BATCH, LEASE_SECONDS));
  }

  private async deliver(mail: DueMail): Promise<void> {
    try {
      await this.transport.send({ to: mail.recipient, subject: mail.subject, text: mail.body });
    } catch (error) {
      const retrySeconds = Math.min(this.retrySeconds * 2 ** (mail.attempts - 1), MAX_RETRY_SECONDS);
      this.logger.warn(`Mail ${mail.id} not sent (attempt ${mail.attempts}, next in ${retrySeconds} s): ${describe(error)}`);
      await this.db.runAs(ANONYMOUS, () => this.outbox.retryLater(mail.id, retrySeconds, describe(error)));
      return;
    }
    // Sent: the row goes, and with it the only copy of a registration link outside the mail.
    await this.db.runAs(ANONYMOUS, () => this.outbox.delete(mail.id));
  }
}

/** The error's kind and code, never a server reply that could quote the mail. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const code = (error as { code?: unknown; responseCode?: unknown }).code;
  const responseCode = (error as { responseCode?: unknown }).responseCode;
  return [error.name, typeof code === 'string' ? code : null, typeof responseCode === 'number' ? `SMTP ${responseCode}` : null].filter(Boolean).join(' ');
}
