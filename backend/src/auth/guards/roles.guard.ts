import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ERROR_CODES, type Role } from '@phr/shared-types';
import { ApiError } from '../../common/api-error.js';
import type { AuthUser } from '../auth-user.js';
import { IS_PUBLIC, ROLES } from '../decorators.js';

/**
 * Global guard (RBAC): a signed-in caller passes only if the route names the
 * caller's role. A route that names no roles admits nobody: deny by default.
 */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, targets) ?? [];
    const user = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>().user;
    if (user && roles.includes(user.role)) return true;
    throw new ApiError(403, ERROR_CODES.forbidden, 'Your role may not use this route');
  }
}
