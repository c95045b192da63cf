import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ERROR_CODES, type Role } from '@phr/shared-types';
import { AttemptOwners, type TargetKind } from '../../audit/attempt-owners.js';
import { ATTEMPT_TARGETS, type AttemptTargetMap } from '../../audit/attempt-targets.decorator.js';
import { AuditService } from '../../audit/audit.service.js';
import { ApiError } from '../../common/api-error.js';
import { requestMetaOf } from '../../db/request-meta.js';
import { Db } from '../../db/db.service.js';
import { assertAccountExists } from '../../db/account-liveness.js';
import type { AuthUser } from '../../identity/auth-user.js';
import { FOR_SECOND_FACTOR_ENROLMENT, IS_PUBLIC, READS_ONLY, ROLES } from '../../identity/decorators.js';

/**
 * Global guard (RBAC): a signed-in caller passes only if the route names the
 * caller's role. A route that names no roles admits nobody: deny by default.
 * A session that must first enrol a second factor passes only enrolment routes.
 * A refusal is audited in the caller's own trail (ASVS 7.2.2); guards run
 * before the request's transaction, so the row gets a transaction of its own.
 */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly owners: AttemptOwners,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, targets) ?? [];
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>();
    const user = request.user;
    const attemptTargets = () => this.reflector.get<AttemptTargetMap | undefined>(ATTEMPT_TARGETS, context.getHandler()) ?? {};
    if (user && roles.includes(user.role)) {
      // A session that must first enrol a second factor (docs/protocol.md "Second factors", ASVS 6.3.2).
      if (user.mustEnrolSecondFactor && !this.reflector.getAllAndOverride<boolean>(FOR_SECOND_FACTOR_ENROLMENT, targets)) {
        await this.auditRefusal(request, user, attemptTargets(), 'a session without the second factor its role requires may not use');
        throw new ApiError(403, ERROR_CODES.secondFactorRequired, 'Your role requires a second factor: enrol an authenticator app or a security key first');
      }
      // An API token reads (docs/protocol.md "API tokens"): any other method is refused, whatever the route, but a POST that only reads (@ReadsOnly).
      if (!user.isReadOnly || READ_METHODS.has(request.method) || this.reflector.get<boolean>(READS_ONLY, context.getHandler())) return true;
      await this.auditRefusal(request, user, attemptTargets(), 'a read-only API token may not use');
      throw new ApiError(403, ERROR_CODES.forbidden, 'This API token is read-only');
    }
    if (user) await this.auditRefusal(request, user, attemptTargets(), `role ${user.role} may not use`);
    throw new ApiError(403, ERROR_CODES.forbidden, 'Your role may not use this route');
  }

  /**
   * An erased account gets the 401 every later step would give it, and no row.
   * A route that names its target (@AttemptTargets) files the refusal in the
   * trail of the target's owner, with the record or consent id; otherwise, or
   * when the id names nobody, in the caller's own.
   */
  private async auditRefusal(request: FastifyRequest, user: AuthUser, targets: AttemptTargetMap, refusal: string): Promise<void> {
    const route = `${request.method} ${request.routeOptions?.url ?? 'unknown route'}`;
    await this.db.run({ userId: user.userId, role: user.role }, requestMetaOf(request), async () => {
      await assertAccountExists(this.db, user);
      const named = namedTargets(request, targets);
      let owner: string | null = null;
      for (const [kind, id] of named) owner ??= await this.owners.ownerOf(kind, id);
      const ids = new Map(named);
      const folder = ids.get('folder');
      await this.audit.record({
        subjectId: owner ?? user.userId,
        action: 'route.access',
        outcome: 'deny',
        reason: `${refusal} ${route}${folder && isUuid(folder) ? `; folder ${folder.toLowerCase()}` : ''}`,
        recordId: owner && isUuid(ids.get('record')) ? ids.get('record') : undefined,
        consentId: owner && isUuid(ids.get('consent')) ? ids.get('consent') : undefined,
      });
    });
  }
}

const READ_METHODS = new Set(['GET', 'HEAD']);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isUuid(value: string | undefined): value is string {
  return value !== undefined && UUID.test(value);
}

/** The ids a refused request names, in the order record, consent, folder, read from its path or body. */
function namedTargets(request: FastifyRequest, targets: AttemptTargetMap): Array<[TargetKind, string]> {
  const named: Array<[TargetKind, string]> = [];
  for (const kind of ['record', 'consent', 'folder'] as const) {
    const source = targets[kind];
    if (!source) continue;
    const [where, name] = source.split(':') as ['param' | 'body', string];
    const holder = (where === 'param' ? request.params : request.body) as Record<string, unknown> | null | undefined;
    const value = holder && typeof holder === 'object' ? holder[name] : undefined;
    if (typeof value === 'string' && isUuid(value)) named.push([kind, value.toLowerCase()]);
  }
  return named;
}
