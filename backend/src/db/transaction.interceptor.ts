import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { assertAccountExists } from '../auth/accounts.js';
import type { AuthUser } from '../auth/auth-user.js';
import { requestMetaOf } from '../common/request-meta.js';
import { ANONYMOUS, Db } from './db.service.js';

/**
 * Runs every route handler in one database transaction with the caller's id
 * and role set for Row-Level Security (DESIGN 6). Guards have already run,
 * so `request.user` is the verified caller or absent on public routes; the
 * caller's account must still exist (an erased account's tokens stop at once).
 */
@Injectable()
export class TransactionInterceptor implements NestInterceptor {
  constructor(private readonly db: Db) {}

  intercept(context: ExecutionContext, next: CallHandler<unknown>): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>();
    const actor = request.user ? { userId: request.user.userId, role: request.user.role } : ANONYMOUS;
    const user = request.user;
    return from(
      this.db.run(actor, requestMetaOf(request), async () => {
        if (user) await assertAccountExists(this.db, user);
        return lastValueFrom(next.handle(), { defaultValue: undefined });
      }),
    );
  }
}
