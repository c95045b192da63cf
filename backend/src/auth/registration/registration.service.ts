import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AUDIT_SYSTEM_SUBJECT, REGISTRATION_TOKEN_BYTES, type RegistrationStarted, type StartRegistrationRequest } from '@phr/shared-types';
import { AuditService } from '../../audit/audit.service.js';
import { ApiError } from '../../common/api-error.js';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { MailOutbox } from '../../mail/mail-outbox.js';
import { RateLimiter } from '../../rate-limit/rate-limiter.service.js';
import { normalizeEmail } from '../../identity/email.js';
import { UsersRepository } from '../../users/users.repository.js';
import { RegistrationTokensRepository } from './registration-tokens.repository.js';
import { accountExistsMail, registrationLink, registrationLinkMail } from './registration-mails.js';

/**
 * The first step of a registration: proof that the person owns the email
 * (docs/protocol.md, "Registration"). Whether or not the address has an
 * account, the request does the same work in the same order (one look-up,
 * one token stored, one mail queued) and gets the same answer; only the mail
 * differs, and only the address's owner reads it. So the API no longer tells
 * who has an account, as prelogin's plausible answers promise (DESIGN 4.1).
 */
@Injectable()
export class RegistrationService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UsersRepository,
    private readonly tokens: RegistrationTokensRepository,
    private readonly outbox: MailOutbox,
    private readonly limiter: RateLimiter,
    private readonly audit: AuditService,
  ) {}

  async start(request: StartRegistrationRequest): Promise<RegistrationStarted> {
    const email = normalizeEmail(request.email);
    await this.limitMailsTo(email);
    const linkSeconds = this.config.registrationLinkSeconds;
    const account = await this.users.findAccountByEmail(email);
    // A token is stored for a taken address too, and never sent: the same work either way.
    const token = randomBytes(REGISTRATION_TOKEN_BYTES).toString('base64url');
    await this.tokens.insert(registrationTokenHash(token), email, linkSeconds);
    const origin = this.config.portalOrigin;
    const mail = account
      ? accountExistsMail(origin, email)
      : registrationLinkMail(origin, email, registrationLink(origin, token, email, request.role ?? 'patient'), linkSeconds);
    await this.outbox.queue(mail);
    return { linkExpiresInSeconds: linkSeconds };
  }

  /**
   * Uses up a registration token made for `email`, in the request's
   * transaction: if the account is not made, the rollback leaves it unused.
   * Of two requests with one token, the second waits for the first and then
   * finds it used. False when unknown, used, expired or for another email.
   */
  async claim(token: string, email: string): Promise<boolean> {
    return this.tokens.claim(registrationTokenHash(token), email);
  }

  /**
   * Mails to one address are limited (RATE_LIMIT_REGISTRATION_MAILS), on top
   * of the per-client limit, so the route cannot flood a mailbox. The same for
   * every address, with or without an account.
   */
  private async limitMailsTo(email: string): Promise<void> {
    const verdict = await this.limiter.hit('registrationMail', `email:${email}`);
    if (verdict.isAllowed) return;
    if (verdict.isFirstRefusal) {
      const { limit, windowSeconds } = this.config.rateLimits.registrationMail;
      this.audit.deny({ subjectId: AUDIT_SYSTEM_SUBJECT, action: 'route.rate-limit', reason: `registrationMail limit of ${limit} mails per ${windowSeconds} s reached for one address` });
    }
    throw ApiError.tooManyRequests(verdict.retryAfterSeconds);
  }
}

export function registrationTokenHash(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
