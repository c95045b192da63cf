import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../../common/api-error.js';
import { AccessTokens } from '../access-tokens.js';
import type { AuthUser } from '../auth-user.js';
import { IS_PUBLIC } from '../decorators.js';

/**
 * Global guard: every route needs a valid access token unless it is marked
 * @Public(). The verified caller becomes `request.user` (@CurrentUser, the
 * roles guard and the request's transaction read it).
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: AccessTokens,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>();
    const user = this.tokens.userOf(request);
    if (!user) throw ApiError.unauthenticated('A valid access token is required');
    request.user = user;
    return true;
  }
}
