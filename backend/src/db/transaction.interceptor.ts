import { Injectable, SetMetadata, type CallHandler, type ExecutionContext, type NestInterceptor, type Type } from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { from, isObservable, lastValueFrom, type Observable } from 'rxjs';
import type { AuthUser } from '../identity/auth-user.js';
import { requestMetaOf } from './request-meta.js';
import { ANONYMOUS, Db } from './db.service.js';
import { requestScopeStorage } from './request-context.js';
import type { PromiseInterceptor } from './promise-interceptors.js';

const OWN_TRANSACTIONS = 'phr:ownTransactions';
const ROUTE_CHECK = 'phr:routeCheck';

/**
 * The handler opens its own transactions (`Db.transaction`) instead of running
 * inside one: for work that waits on something other than the database (the
 * object store), so that no request holds a database connection while it waits.
 */
export const OwnTransactions = (): MethodDecorator => SetMetadata(OWN_TRANSACTIONS, true);

/**
 * A decision a route needs after every guard and before its handler, in the request's
 * transaction (ConsentGuard): it throws to refuse. On an @OwnTransactions() route it runs
 * outside any transaction, and opens its own if it needs one.
 */
export interface RouteCheck {
  check(context: ExecutionContext): Promise<void>;
}

/** Runs the provider `check` (registered in some module) as the route's RouteCheck. */
export const CheckInTransaction = (check: Type<RouteCheck>): MethodDecorator => SetMetadata(ROUTE_CHECK, check);

/**
 * Runs every route handler in one database transaction with the caller's id
 * and role set for Row-Level Security (DESIGN 6). Guards have already run,
 * so `request.user` is the verified caller or absent on public routes; the
 * caller's account must still exist (an erased account's tokens stop at once).
 * A route's RouteCheck (@CheckInTransaction) runs first in the same transaction:
 * here rather than as an interceptor of its own, which would add a layer of
 * Nest's observables to every such request (issue 14).
 * A handler marked @OwnTransactions() runs outside any transaction, with the
 * caller known to `Db.transaction`, after the same account check.
 */
@Injectable()
export class TransactionInterceptor implements NestInterceptor, PromiseInterceptor {
  private readonly checks = new WeakMap<object, RouteCheck | null>();

  constructor(
    private readonly db: Db,
    private readonly reflector: Reflector,
    private readonly modules: ModuleRef,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler<unknown>): Observable<unknown> {
    return from(this.interceptPromise(context, () => lastValueFrom(next.handle(), { defaultValue: undefined })));
  }

  /**
   * The same, with the handler (its pipes first) as a promise: what Nest's interceptor chain
   * calls when this is a route's only interceptor (promise-interceptors.ts), without a layer of
   * observables per request.
   */
  interceptPromise(context: ExecutionContext, next: () => Promise<unknown>): Promise<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>();
    const user = request.user;
    const actor = user ? { userId: user.userId, role: user.role } : ANONYMOUS;
    const meta = requestMetaOf(request);
    const check = this.checkOf(context);
    const handle = async () => {
      if (check) await check.check(context);
      const result = await next();
      return isObservable(result) ? lastValueFrom(result, { defaultValue: undefined }) : result;
    };
    if (this.reflector.get<boolean | undefined>(OWN_TRANSACTIONS, context.getHandler())) {
      return requestScopeStorage.run({ actor, meta }, async () => {
        if (user) await this.db.run(actor, meta, () => Promise.resolve(), { caller: user });
        return handle();
      });
    }
    return this.db.run(actor, meta, handle, { caller: user });
  }

  /** The route's RouteCheck, looked up once per handler. */
  private checkOf(context: ExecutionContext): RouteCheck | null {
    const handler = context.getHandler();
    const known = this.checks.get(handler);
    if (known !== undefined) return known;
    const type = this.reflector.get<Type<RouteCheck> | undefined>(ROUTE_CHECK, handler);
    const check = type ? this.modules.get(type, { strict: false }) : null;
    this.checks.set(handler, check);
    return check;
  }
}
