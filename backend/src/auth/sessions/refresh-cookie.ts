import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HOST_REFRESH_COOKIE_NAME, REFRESH_COOKIE_NAME, REFRESH_COOKIE_PATH } from '@phr/shared-types';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import type { IssuedSession } from './session.service.js';

/**
 * The refresh token's only home: an httpOnly, Secure, SameSite=Strict cookie. Secure, it is
 * `__Host-phr_refresh` at Path=/ (the prefix demands that path; httpOnly and SameSite=Strict
 * keep it from script and from other sites wherever it travels on the origin). Only with
 * COOKIE_SECURE=false, where browsers refuse the prefix, is it `phr_refresh` scoped to
 * /api/auth.
 */
@Injectable()
export class RefreshCookie {
  private readonly name: string;
  private readonly path: string;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.name = config.cookieSecure ? HOST_REFRESH_COOKIE_NAME : REFRESH_COOKIE_NAME;
    this.path = config.cookieSecure ? '/' : REFRESH_COOKIE_PATH;
  }

  read(request: FastifyRequest & { cookies: Record<string, string | undefined> }): string | undefined {
    return request.cookies[this.name];
  }

  set(reply: FastifyReply, session: IssuedSession): void {
    void reply.setCookie(this.name, session.refreshToken, {
      httpOnly: true,
      secure: this.config.cookieSecure,
      sameSite: 'strict',
      path: this.path,
      expires: session.refreshExpiresAt,
    });
  }

  clear(reply: FastifyReply): void {
    void reply.clearCookie(this.name, {
      httpOnly: true,
      secure: this.config.cookieSecure,
      sameSite: 'strict',
      path: this.path,
    });
  }
}
