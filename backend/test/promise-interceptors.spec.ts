import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Controller,
  Get,
  Injectable,
  Module,
  Param,
  ParseIntPipe,
  Req,
  UseGuards,
  UseInterceptors,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  type NestInterceptor,
  type PipeTransform,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InterceptorsConsumer } from '@nestjs/core/interceptors/interceptors-consumer.js';
import type { FastifyRequest } from 'fastify';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { from, lastValueFrom, map, of, type Observable } from 'rxjs';
import { installPromiseInterceptors, type PromiseInterceptor } from '../src/db/promise-interceptors.js';

/**
 * Nest's interceptor chain with a promise-only path (promise-interceptors.ts): a route whose only
 * interceptor can wrap the handler as a promise runs without rxjs, and keeps Nest's order (guards,
 * the interceptor, pipes, handler) and its answers; any other chain is Nest's own.
 */
const steps: string[] = [];
/** Errors Nest logged (an answer it could not send, say). */
const loggedErrors: unknown[] = [];
/** The slow route's handler waits for this; the test lets it go. */
let finishSlow: () => void = () => undefined;
let clientGone: Promise<void> = Promise.resolve();

@Injectable()
class NotingGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const refused = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>().headers['x-refuse'] === '1';
    steps.push(refused ? 'guard refuses' : 'guard');
    return !refused;
  }
}

@Injectable()
class NotingPipe implements PipeTransform<number, number> {
  transform(value: number): number {
    steps.push('pipe');
    return value;
  }
}

/** What TransactionInterceptor is to the product: both ways in, the promise one noted apart. */
@Injectable()
class WrappingInterceptor implements NestInterceptor, PromiseInterceptor {
  intercept(context: ExecutionContext, next: CallHandler<unknown>): Observable<unknown> {
    steps.push('interceptor (rxjs)');
    return from(this.wrap(() => lastValueFrom(next.handle())));
  }

  interceptPromise(context: ExecutionContext, next: () => Promise<unknown>): Promise<unknown> {
    steps.push(`interceptor (promise, ${context.getType()}, ${context.getClass().name}.${context.getHandler().name})`);
    return this.wrap(next);
  }

  private async wrap(next: () => Promise<unknown>): Promise<unknown> {
    const result = await next();
    steps.push('interceptor after');
    return result;
  }
}

@Injectable()
class TaggingInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler<unknown>): Observable<unknown> {
    steps.push('second interceptor');
    return next.handle().pipe(map((body) => ({ ...(body as object), tagged: true })));
  }
}

@Controller()
@UseGuards(NotingGuard)
class ProbeController {
  @Get('one/:n')
  @UseInterceptors(WrappingInterceptor)
  one(@Param('n', ParseIntPipe, NotingPipe) n: number): Promise<{ n: number }> {
    steps.push('handler');
    return Promise.resolve({ n });
  }

  @Get('observable/:n')
  @UseInterceptors(WrappingInterceptor)
  observable(@Param('n', ParseIntPipe) n: number): Observable<{ n: number }> {
    steps.push('handler');
    return of({ n });
  }

  @Get('fails')
  @UseInterceptors(WrappingInterceptor)
  fails(): Promise<never> {
    steps.push('handler');
    return Promise.reject(new Error('the handler failed'));
  }

  @Get('slow')
  @UseInterceptors(WrappingInterceptor)
  async slow(@Req() request: FastifyRequest): Promise<{ isDone: boolean }> {
    steps.push('handler');
    clientGone = new Promise((resolve) => request.raw.socket.once('close', () => resolve()));
    await new Promise<void>((resolve) => (finishSlow = resolve));
    return { isDone: true };
  }

  @Get('two/:n')
  @UseInterceptors(WrappingInterceptor, TaggingInterceptor)
  two(@Param('n', ParseIntPipe) n: number): { n: number } {
    steps.push('handler');
    return { n };
  }
}

@Module({ controllers: [ProbeController], providers: [NotingGuard, NotingPipe, WrappingInterceptor, TaggingInterceptor] })
class ProbeModule {}

describe('interceptors as promises', () => {
  let app: NestFastifyApplication;
  let baseUrl: string;

  beforeAll(async () => {
    installPromiseInterceptors();
    const logger = { log: () => undefined, warn: () => undefined, error: (error: unknown) => void loggedErrors.push(error) };
    app = await NestFactory.create<NestFastifyApplication>(ProbeModule, new FastifyAdapter(), { logger });
    await app.listen(0, '127.0.0.1');
    baseUrl = await app.getUrl();
  });
  afterAll(async () => {
    await app?.close();
  });

  const get = async (path: string, headers: Record<string, string> = {}) => {
    steps.length = 0;
    const response = await fetch(`${baseUrl}${path}`, { headers });
    return { status: response.status, body: await response.json() };
  };

  it('runs a lone promise interceptor as a promise, between the guards and the pipes, with its context', async () => {
    expect(await get('/one/7')).toEqual({ status: 200, body: { n: 7 } });
    expect(steps).toEqual(['guard', 'interceptor (promise, http, ProbeController.one)', 'pipe', 'handler', 'interceptor after']);
  });

  it('answers as Nest does when a guard refuses, a pipe refuses or the handler fails', async () => {
    expect((await get('/one/7', { 'x-refuse': '1' })).status).toBe(403);
    expect(steps).toEqual(['guard refuses']);
    const refused = await get('/one/seven');
    expect(refused.status).toBe(400);
    expect(steps).toEqual(['guard', 'interceptor (promise, http, ProbeController.one)']);
    expect((await get('/fails')).status).toBe(500);
    expect(steps).toEqual(['guard', 'interceptor (promise, http, ProbeController.fails)', 'handler']);
  });

  it('sends what an Observable of the handler emits', async () => {
    expect(await get('/observable/3')).toEqual({ status: 200, body: { n: 3 } });
  });

  it('finishes the interceptor’s work for a client that went away, logs no error and goes on answering', async () => {
    steps.length = 0;
    loggedErrors.length = 0;
    const aborted = new AbortController();
    const answer = fetch(`${baseUrl}/slow`, { signal: aborted.signal }).catch((error: unknown) => error);
    while (!steps.includes('handler')) await new Promise((resolve) => setImmediate(resolve));
    aborted.abort();
    await clientGone;
    finishSlow();
    while (!steps.includes('interceptor after')) await new Promise((resolve) => setImmediate(resolve));
    expect(await answer).toMatchObject({ name: 'AbortError' });
    expect(await get('/one/2')).toEqual({ status: 200, body: { n: 2 } });
    expect(loggedErrors).toEqual([]);
  });

  it('leaves a chain of two interceptors to Nest, which runs both through rxjs', async () => {
    expect(await get('/two/5')).toEqual({ status: 200, body: { n: 5, tagged: true } });
    expect(steps).toEqual(['guard', 'interceptor (rxjs)', 'second interceptor', 'handler', 'interceptor after']);
  });

  it('leaves no interceptors and a missing list to Nest, which calls the handler', async () => {
    const consumer = new InterceptorsConsumer();
    const intercept = (interceptors: NestInterceptor[] | undefined) =>
      consumer.intercept(interceptors as NestInterceptor[], [], new ProbeController(), () => undefined, async () => 'handled');
    expect(await intercept(undefined)).toBe('handled');
    expect(await intercept([])).toBe('handled');
  });
});
