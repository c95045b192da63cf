import { applyDecorators, createParamDecorator, Injectable, SetMetadata, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { AuditAction } from '@phr/shared-types';
import { assertAccountExists } from '../db/account-liveness.js';
import { Db } from '../db/db.service.js';
import { requestMetaOf } from '../db/request-meta.js';
import type { AuthUser } from '../identity/auth-user.js';
import { RecordAccess, type ReadableRecord } from './record-access.service.js';

const RECORD_ACCESS = 'phr:record-access';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What a route that takes a record id asks of the caller: to read it (owner or consented doctor), or to own it. */
type RecordAccessNeed = { need: 'readable' } | { need: 'owned'; action: AuditAction };

type GuardedRequest = FastifyRequest & { user?: AuthUser; params?: Record<string, string>; readableRecord?: ReadableRecord };

/**
 * The consent guard (DESIGN 6; issue 13): a route that takes a record id as
 * `:id` runs only after RecordAccess allowed the caller, as RBAC is applied by
 * RolesGuard. Guards run before the request's transaction, so the decision
 * (and its audit row, allowed or denied) gets a transaction of its own under
 * the caller's RLS context. A malformed id is left to the route's pipe (400).
 */
@Injectable()
export class ConsentGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly db: Db,
    private readonly access: RecordAccess,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const rule = this.reflector.get<RecordAccessNeed | undefined>(RECORD_ACCESS, context.getHandler());
    const request = context.switchToHttp().getRequest<GuardedRequest>();
    const user = request.user;
    const recordId = request.params?.id;
    if (!rule || !user || typeof recordId !== 'string' || !UUID.test(recordId)) return true;
    const id = recordId.toLowerCase();
    await this.db.run({ userId: user.userId, role: user.role }, requestMetaOf(request), async () => {
      await assertAccountExists(this.db, user);
      if (rule.need === 'readable') request.readableRecord = await this.access.requireReadable(user, id);
      else await this.access.requireOwned(user, id, rule.action);
    });
    return true;
  }
}

/** The route's `:id` must name a record the caller may read (its owner, or a doctor under a consent in force). */
export const RequireReadableRecord = (): MethodDecorator => applyDecorators(SetMetadata(RECORD_ACCESS, { need: 'readable' }), UseGuards(ConsentGuard));

/** The route's `:id` must name a record of the caller's own; a refusal is audited as `action`. */
export const RequireOwnedRecord = (action: AuditAction): MethodDecorator => applyDecorators(SetMetadata(RECORD_ACCESS, { need: 'owned', action }), UseGuards(ConsentGuard));

/**
 * The decision ConsentGuard took for a @RequireReadableRecord() route; null
 * only when the guard left the id to the route's pipe (malformed: a 400 follows).
 */
export const ReadableRecordOf = createParamDecorator((_data: unknown, context: ExecutionContext): ReadableRecord | null => {
  return context.switchToHttp().getRequest<GuardedRequest>().readableRecord ?? null;
});
