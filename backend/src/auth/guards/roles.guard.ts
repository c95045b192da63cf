import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ERROR_CODES, type Role } from '@phr/shared-types';
import { AuditService } from '../../audit/audit.service.js';
import { ApiError } from '../../common/api-error.js';
import { requestMetaOf } from '../../common/request-meta.js';
import { Db } from '../../db/db.service.js';
import { assertAccountExists } from '../accounts.js';
import type { AuthUser } from '../auth-user.js';
import { IS_PUBLIC, ROLES } from '../decorators.js';

/**
 * Global guard (RBAC): a signed-in caller passes only if the route names the
 * caller's role. A route that names no roles admits nobody: deny by default.
 * A refusal is audited in the caller's own trail (ASVS 7.2.2); guards run
 * before the request's transaction, so the row gets a transaction of its own.
 */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly db: Db,
    private readonly audit: AuditService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, targets) ?? [];
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>();
    const user = request.user;
    if (user && roles.includes(user.role)) return true;
    if (user) await this.auditRefusal(request, user);
    throw new ApiError(403, ERROR_CODES.forbidden, 'Your role may not use this route');
  }

  /** An erased account gets the 401 every later step would give it, and no row. */
  private async auditRefusal(request: FastifyRequest, user: AuthUser): Promise<void> {
    const route = `${request.method} ${request.routeOptions?.url ?? 'unknown route'}`;
    await this.db.run({ userId: user.userId, role: user.role }, requestMetaOf(request), async () => {
      await assertAccountExists(this.db, user);
      await this.audit.record({ subjectId: user.userId, action: 'route.access', outcome: 'deny', reason: `role ${user.role} may not use ${route}` });
    });
  }
}
