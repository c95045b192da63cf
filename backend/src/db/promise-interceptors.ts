import type { ExecutionContext } from '@nestjs/common';
import { InterceptorsConsumer } from '@nestjs/core/interceptors/interceptors-consumer.js';

/** An interceptor that can also wrap the handler as a promise (TransactionInterceptor). */
export interface PromiseInterceptor {
  interceptPromise(context: ExecutionContext, next: () => Promise<unknown>): Promise<unknown>;
}

type Intercept = InterceptorsConsumer['intercept'];

function isPromiseInterceptor(interceptor: unknown): interceptor is PromiseInterceptor {
  return typeof (interceptor as Partial<PromiseInterceptor> | undefined)?.interceptPromise === 'function';
}

let isInstalled = false;

/**
 * Lets a route whose only interceptor is a PromiseInterceptor run it as a promise (issue 14).
 * Nest runs every interceptor through rxjs: per request a `defer`, a `mergeAll`, two async
 * resources, an Observable around the handler's promise and, for the Observable the chain
 * returns, a watch for the client's disconnect and a `lastValueFrom`; about a tenth of the
 * API's CPU per read, for a chain that is one promise here. The route then runs as Nest runs
 * a route without interceptors, which awaits what the chain returns; guards, pipes, the
 * handler and the exception filters run as before, in the same order. Any other chain
 * (none, a missing list, several interceptors, or one without `interceptPromise`) goes through
 * Nest's own code.
 */
export function installPromiseInterceptors(): void {
  if (isInstalled) return;
  isInstalled = true;
  const intercept: Intercept = InterceptorsConsumer.prototype.intercept;
  InterceptorsConsumer.prototype.intercept = function (this: InterceptorsConsumer, interceptors, args, instance, callback, next, type) {
    const only = interceptors?.length === 1 ? interceptors[0] : undefined;
    if (!isPromiseInterceptor(only)) return intercept.call(this, interceptors, args, instance, callback, next, type);
    const context = this.createContext(args, instance, callback);
    if (type) context.setType(type);
    return only.interceptPromise(context, next);
  } as Intercept;
}
