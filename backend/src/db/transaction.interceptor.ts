import { Injectable, SetMetadata, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { from, lastValueFrom, type Observable } from 'rxjs';
import type { AuthUser } from '../identity/auth-user.js';
import { requestMetaOf } from './request-meta.js';
import { ANONYMOUS, Db } from './db.service.js';
import { requestScopeStorage } from './request-context.js';

const OWN_TRANSACTIONS = 'phr:ownTransactions';

/**
 * The handler opens its own transactions (`Db.transaction`) instead of running
 * inside one: for work that waits on something other than the database (the
 * object store), so that no request holds a database connection while it waits.
 */
export const OwnTransactions = (): MethodDecorator => SetMetadata(OWN_TRANSACTIONS, true);

/**
 * Runs every route handler in one database transaction with the caller's id
 * and role set for Row-Level Security (DESIGN 6). Guards have already run,
 * so `request.user` is the verified caller or absent on public routes; the
 * caller's account must still exist (an erased account's tokens stop at once).
 * A handler marked @OwnTransactions() runs outside any transaction, with the
 * caller known to `Db.transaction`, after the same account check.
 */
@Injectable()
export class TransactionInterceptor implements NestInterceptor {
  constructor(
    private readonly db: Db,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler<unknown>): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>();
    const actor = request.user ? { userId: request.user.userId, role: request.user.role } : ANONYMOUS;
    const user = request.user;
    const meta = requestMetaOf(request);
    if (this.reflector.get<boolean | undefined>(OWN_TRANSACTIONS, context.getHandler())) {
      return from(
        requestScopeStorage.run({ actor, meta }, async () => {
          if (user) await this.db.run(actor, meta, () => Promise.resolve(), { caller: user });
          return lastValueFrom(next.handle(), { defaultValue: undefined });
        }),
      );
    }
    return from(
      this.db.run(actor, meta, () => lastValueFrom(next.handle(), { defaultValue: undefined }), { caller: user }),
    );
  }
}
