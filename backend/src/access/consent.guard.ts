import { applyDecorators, createParamDecorator, Injectable, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { AuditAction } from '@phr/shared-types';
import { Db } from '../db/db.service.js';
import { CheckInTransaction, type RouteCheck } from '../db/transaction.interceptor.js';
import type { AuthUser } from '../identity/auth-user.js';
import { RecordAccess, type ReadableRecord } from './record-access.service.js';

const RECORD_ACCESS = 'phr:record-access';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What a route that takes a record id asks of the caller: to read it (owner or consented doctor), or to own it. */
type RecordAccessNeed = { need: 'readable' } | { need: 'owned'; action: AuditAction };

type GuardedRequest = FastifyRequest & { user?: AuthUser; params?: Record<string, string>; readableRecord?: ReadableRecord };

/**
 * The consent guard (DESIGN 6; issues 13, 14): a route that takes a record id
 * as `:id` runs only after RecordAccess allowed the caller, as RBAC is applied
 * by RolesGuard. It runs after the guards, as the route's check inside
 * the request's transaction (TransactionInterceptor's RouteCheck), so the decision, its
 * audit row and the handler's work commit together, in one transaction per
 * request; a refusal rolls the request back and its deny row is written after
 * (Db.deferWrite). On a route that opens its own transactions
 * (@OwnTransactions) it decides in a short transaction of its own. A malformed
 * id is left to the route's pipe (400).
 */
@Injectable()
export class ConsentGuard implements RouteCheck {
  constructor(
    private readonly reflector: Reflector,
    private readonly db: Db,
    private readonly access: RecordAccess,
  ) {}

  async check(context: ExecutionContext): Promise<void> {
    const rule = this.reflector.get<RecordAccessNeed | undefined>(RECORD_ACCESS, context.getHandler());
    const request = context.switchToHttp().getRequest<GuardedRequest>();
    const user = request.user;
    const recordId = request.params?.id;
    if (!rule || !user || typeof recordId !== 'string' || !UUID.test(recordId)) return;
    const id = recordId.toLowerCase();
    const decide = async () => {
      if (rule.need === 'readable') request.readableRecord = await this.access.requireReadable(user, id);
      else await this.access.requireOwned(user, id, rule.action);
    };
    if (this.db.isInTransaction()) await decide();
    else await this.db.transaction(decide);
  }
}

/** The route's `:id` must name a record the caller may read (its owner, or a doctor under a consent in force). */
export const RequireReadableRecord = (): MethodDecorator => applyDecorators(SetMetadata(RECORD_ACCESS, { need: 'readable' }), CheckInTransaction(ConsentGuard));

/** The route's `:id` must name a record of the caller's own; a refusal is audited as `action`. */
export const RequireOwnedRecord = (action: AuditAction): MethodDecorator => applyDecorators(SetMetadata(RECORD_ACCESS, { need: 'owned', action }), CheckInTransaction(ConsentGuard));

/**
 * The decision ConsentGuard took for a @RequireReadableRecord() route; null
 * only when the guard left the id to the route's pipe (malformed: a 400 follows).
 */
export const ReadableRecordOf = createParamDecorator((_data: unknown, context: ExecutionContext): ReadableRecord | null => {
  return context.switchToHttp().getRequest<GuardedRequest>().readableRecord ?? null;
});
