import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DEVICE_COOKIE_NAME, HOST_DEVICE_COOKIE_NAME, REFRESH_COOKIE_PATH } from '@phr/shared-types';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import type { RememberedDevice } from './known-devices.service.js';

/**
 * The known-device token's home: an httpOnly, SameSite=Strict cookie, named
 * and scoped as the refresh cookie is (refresh-cookie.ts). It outlives a
 * sign-out on purpose: a device that signed in before keeps its way in while
 * others must show work (docs/architecture.md "Sessions").
 */
@Injectable()
export class DeviceCookie {
  private readonly name: string;
  private readonly path: string;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.name = config.cookieSecure ? HOST_DEVICE_COOKIE_NAME : DEVICE_COOKIE_NAME;
    this.path = config.cookieSecure ? '/' : REFRESH_COOKIE_PATH;
  }

  read(request: FastifyRequest & { cookies: Record<string, string | undefined> }): string | undefined {
    return request.cookies[this.name];
  }

  set(reply: FastifyReply, device: RememberedDevice): void {
    void reply.setCookie(this.name, device.token, {
      httpOnly: true,
      secure: this.config.cookieSecure,
      sameSite: 'strict',
      path: this.path,
      expires: device.expiresAt,
    });
  }
}
