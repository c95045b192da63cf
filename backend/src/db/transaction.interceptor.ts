import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { from, lastValueFrom, type Observable } from 'rxjs';
import type { AuthUser } from '../auth/auth-user.js';
import { requestMetaOf } from '../common/request-meta.js';
import { ANONYMOUS, Db } from './db.service.js';

/**
 * Runs every route handler in one database transaction with the caller's id
 * and role set for Row-Level Security (DESIGN 6). Guards have already run,
 * so `request.user` is the verified caller or absent on public routes.
 */
@Injectable()
export class TransactionInterceptor implements NestInterceptor {
  constructor(private readonly db: Db) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>();
    const actor = request.user ? { userId: request.user.userId, role: request.user.role } : ANONYMOUS;
    return from(this.db.run(actor, requestMetaOf(request), () => lastValueFrom(next.handle(), { defaultValue: undefined })));
  }
}
