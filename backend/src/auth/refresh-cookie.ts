import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { REFRESH_COOKIE_NAME, REFRESH_COOKIE_PATH } from '@phr/shared-types';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { IssuedSession } from './session.service.js';

/** The refresh token's only home: an httpOnly, Secure, SameSite=Strict cookie scoped to the session routes. */
@Injectable()
export class RefreshCookie {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  read(request: FastifyRequest & { cookies: Record<string, string | undefined> }): string | undefined {
    return request.cookies[REFRESH_COOKIE_NAME];
  }

  set(reply: FastifyReply, session: IssuedSession): void {
    void reply.setCookie(REFRESH_COOKIE_NAME, session.refreshToken, {
      httpOnly: true,
      secure: this.config.cookieSecure,
      sameSite: 'strict',
      path: REFRESH_COOKIE_PATH,
      expires: session.refreshExpiresAt,
    });
  }

  clear(reply: FastifyReply): void {
    void reply.clearCookie(REFRESH_COOKIE_NAME, {
      httpOnly: true,
      secure: this.config.cookieSecure,
      sameSite: 'strict',
      path: REFRESH_COOKIE_PATH,
    });
  }
}
