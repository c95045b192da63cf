import nodemailer, { type Transporter } from 'nodemailer';
import type { AppConfig } from '../config/app-config.js';
import type { OutgoingMail } from './outgoing-mail.js';

/** The only user of the SMTP client (nodemailer). */
export class SmtpTransport {
  private readonly transporter: Transporter;

  constructor(private readonly config: AppConfig['mail']) {
    const url = config.smtpUrl;
    this.transporter = nodemailer.createTransport({
      host: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      secure: url.protocol === 'smtps:',
      requireTLS: url.searchParams.get('requireTLS') === 'true',
      auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
      // A server that hangs must not hold the sender for long; the mail is tried again later.
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    });
  }

  async send(mail: OutgoingMail): Promise<void> {
    await this.transporter.sendMail({ from: this.config.from, to: mail.to, subject: mail.subject, text: mail.text });
  }

  close(): void {
    this.transporter.close();
  }
}
