import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../../common/api-error.js';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';

/**
 * CSRF defence of the routes that act on the refresh cookie (ASVS 13.2.3),
 * on top of SameSite=Strict: the request must come from the portal. Browsers
 * send `Origin` on every POST, and Vite's proxy and the TLS proxy pass it on
 * unchanged. Without `Origin`, only a browser's own `Sec-Fetch-Site:
 * same-origin` is accepted (both are headers a page cannot set). The refusal
 * is logged by the error filter, with this guard's message as its reason.
 */
@Injectable()
export class SameOriginGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const { headers } = context.switchToHttp().getRequest<FastifyRequest>();
    const origin = headers.origin;
    if (origin === undefined ? headers['sec-fetch-site'] === 'same-origin' : origin === this.config.portalOrigin) return true;
    throw ApiError.forbidden(origin === undefined ? 'Origin header required: cookie routes answer the portal only' : 'Cross-origin request refused: cookie routes answer the portal only');
  }
}
