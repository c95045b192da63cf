import { randomInt } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { QueryFailedError, QueryResult, QueryRunnerProviderAlreadyReleasedError, type DataSource, type EntityManager, type Logger as QueryLogger, type QueryRunner } from 'typeorm';
import pg, { type PoolClient } from 'pg';
import { DependencyUnavailable } from '../common/dependency-unavailable.js';
import type { AuthUser } from '../identity/auth-user.js';
import { beginAs, commitWith } from './account-liveness.js';
import { preparedNameOf, prepared } from './prepared-statements.js';
import { databaseUnavailableReason, isConnectionSpoiled, isTransactionConflict } from './database-errors.js';
import {
  ANONYMOUS,
  requestContextStorage,
  requestScopeStorage,
  type Actor,
  type AuditActor,
  type RequestContext,
  type RequestMeta,
} from './request-context.js';

export const DATA_SOURCE = Symbol('DATA_SOURCE');
/** The small pool of single statements outside transactions (db.module.ts). */
export const STATEMENT_DATA_SOURCE = Symbol('STATEMENT_DATA_SOURCE');

const SYSTEM_META: RequestMeta = { requestId: 'system', ip: null, userAgent: null };

/** The audit trail names scheduled jobs as `system`, never as the patient whose rows they touch. */
const JOB_ACTOR: AuditActor = { userId: null, role: 'system' };

/**
 * A transaction that lost a race (deadlock, serialization failure) runs again
 * from the start, this many times in all; its audit rows are written by the
 * attempt that commits, so none is lost or written twice.
 */
const MAX_ATTEMPTS = 4;
const RETRY_PAUSE_MS = 15;

/** Seconds a client is asked to wait before it tries again (Retry-After). */
const RETRY_AFTER_DOWN_SECONDS = 5;
const RETRY_AFTER_CONFLICT_SECONDS = 1;

interface RunOptions {
  auditActor?: AuditActor;
  /** A signed-in caller whose account and session must still be live (checked in the transaction's first statement). */
  caller?: AuthUser;
}

/** A conflict the next attempt may not have; carries the original error. */
class RetryableConflict extends Error {
  constructor(readonly original: unknown) {
    super('transaction conflict');
  }
}

/** PostgresQueryRunner's way to hand a broken connection back so that the pool closes it. */
interface DiscardableQueryRunner {
  releasePostgresConnection?(error?: Error): Promise<void>;
}

/**
 * Opens the transactions that every data access runs in and sets the RLS
 * context in them. The only way application code reaches the database.
 */
@Injectable()
export class Db {
  private readonly logger = new Logger('Db');

  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(STATEMENT_DATA_SOURCE) private readonly statements: DataSource,
  ) {}

  /**
   * Runs `work` in one transaction under `actor`. Commits when it resolves,
   * rolls back when it throws; deferred writes then run in a transaction of
   * their own, so a denial is recorded even though the action was not. A
   * conflict with another transaction runs `work` again; a database that is
   * down or too slow becomes DependencyUnavailable (503).
   */
  async run<T>(actor: Actor, meta: RequestMeta, work: () => Promise<T>, options: RunOptions = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(actor, meta, work, options, attempt < MAX_ATTEMPTS);
      } catch (error) {
        if (!(error instanceof RetryableConflict)) throw error;
        // A little jitter, so two transactions that met once do not meet again.
        await pause(RETRY_PAUSE_MS * attempt + randomInt(RETRY_PAUSE_MS));
      }
    }
  }

  /**
   * One transaction of a request whose handler opens its own (@OwnTransactions),
   * under the request's caller: between two of them the handler may wait on the
   * object store without holding a connection.
   */
  transaction<T>(work: () => Promise<T>): Promise<T> {
    const scope = requestScopeStorage.getStore();
    if (!scope) throw new Error('Db.transaction is for handlers marked @OwnTransactions()');
    return this.run(scope.actor, scope.meta, work);
  }

  /** Whether the database answers now (readiness), within `timeoutMs`; never throws. */
  async isReachable(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const ping = this.dataSource.query('SELECT 1').then(
      () => true,
      () => false,
    );
    try {
      return await Promise.race([ping, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A transaction outside any HTTP request (command-line steps, tests). */
  runAs<T>(actor: Actor, work: () => Promise<T>): Promise<T> {
    return this.run(actor, SYSTEM_META, work);
  }

  /**
   * A transaction of a scheduled job: RLS as `actor` (often the patient whose
   * rows the job changes), audit rows naming the job as actor `system`.
   */
  runAsJob<T>(job: string, actor: Actor, work: () => Promise<T>): Promise<T> {
    return this.run(actor, { requestId: `job:${job}`, ip: null, userAgent: null }, work, { auditActor: JOB_ACTOR });
  }

  /**
   * One statement on its own, outside any request transaction and on a pool
   * of its own: for shared counters that must count whatever the request's
   * transaction does (rate limits, spent proofs of work).
   */
  async queryAlone<T>(sql: string, params: unknown[]): Promise<T> {
    try {
      return await this.statements.query<T>(sql, params);
    } catch (error) {
      throw asUnavailable(error) ?? error;
    }
  }

  /** Whether the caller runs inside a transaction of Db.run (a request's, a job's, one of Db.transaction). */
  isInTransaction(): boolean {
    return requestContextStorage.getStore() !== undefined;
  }

  /** The entity manager of the current transaction. */
  manager(): EntityManager {
    return this.context().queryRunner.manager;
  }

  actor(): Actor {
    return this.context().actor;
  }

  /** Who audit rows written now name as the actor. */
  auditActor(): AuditActor {
    const context = this.context();
    return context.auditActor ?? context.actor;
  }

  meta(): RequestMeta {
    return this.context().meta;
  }

  /**
   * Switches the RLS context inside the current transaction, once the caller
   * is known (sign-in, registration, refresh).
   */
  async becomeActor(actor: Actor): Promise<void> {
    const context = this.context();
    await applyActor(context.queryRunner, actor);
    context.actor = { ...actor };
  }

  /**
   * Records that the statement just run switched the RLS context to `actor` itself, with the
   * same set_config calls as becomeActor in its own select list (issue 14: a sign-in's account
   * lookup, one statement and one round trip fewer, UsersRepository.findAccountByEmailAsActor):
   * the transaction's later work, deferred writes and audit rows then act as `actor`.
   */
  adoptActor(actor: Actor): void {
    this.context().actor = { ...actor };
  }

  /** Queues a write that must happen even if the request fails (denials, lockouts). */
  deferWrite(write: (manager: EntityManager) => Promise<void>): void {
    const context = this.context();
    context.deferredWrites.push({ actor: { ...context.actor }, write });
  }

  /**
   * Sends the statement `build` makes after the transaction's work in the same message as its
   * COMMIT (simple query protocol: complete statements, values as literals; null sends nothing).
   */
  atCommit(build: () => string | null): void {
    this.context().atCommit.push(build);
  }

  /**
   * Runs `callback` once the current transaction has committed, and not at all
   * if it rolls back: for work that must only see committed rows (waking the
   * mail sender). It must not throw.
   */
  afterCommit(callback: () => void): void {
    this.context().afterCommit.push(callback);
  }

  /**
   * Runs `hook` when the current transaction fails for good (not when it will run again), in
   * its context (so it may defer writes), with the error as the request will answer it (a
   * database that is down or too slow as DependencyUnavailable).
   */
  onFailure(hook: (error: unknown) => void): void {
    this.context().onFailure.push(hook);
  }

  /** A value kept for the current transaction attempt, made by `create` on first use. */
  local<T>(key: symbol, create: () => T): T {
    const { locals } = this.context();
    if (!locals.has(key)) locals.set(key, create());
    return locals.get(key) as T;
  }

  private context(): RequestContext {
    const context = requestContextStorage.getStore();
    if (!context) throw new Error('No database transaction: the call is outside Db.run');
    return context;
  }

  private async attempt<T>(actor: Actor, meta: RequestMeta, work: () => Promise<T>, options: RunOptions, mayRetry: boolean): Promise<T> {
    const queryRunner = this.dataSource.createQueryRunner();
    try {
      await queryRunner.connect();
    } catch (error) {
      await queryRunner.release().catch(() => undefined);
      throw asUnavailable(error) ?? error;
    }
    const isDirect = this.mayQueryDirectly();
    if (isDirect) queryDirectly(queryRunner, this.dataSource.logger);
    const context = newContext(queryRunner, actor, options.auditActor ?? null, meta);
    let spoiledBy: unknown = null;
    let started: Promise<void> = Promise.resolve();
    try {
      let result: T;
      try {
        // Pipelined: the work's first statement goes out behind the start, in the same round trip.
        ({ started } = await beginAs(queryRunner, actor, options.caller ?? null, { isDirect, isPipelined: isDirect && isPipelined(queryRunner) }));
        result = await requestContextStorage.run(context, work);
        await started;
        await commitWith(queryRunner, commitStatements(context), { isDirect });
        for (const callback of context.afterCommit.splice(0)) callback();
      } catch (thrown: unknown) {
        // A start that failed fails the statements pipelined behind it too: its own error is the one to answer.
        const error: unknown = (await started.then(() => null, (startError: unknown) => startError)) ?? thrown;
        if (isConnectionSpoiled(error)) spoiledBy = error;
        if (queryRunner.isTransactionActive && !spoiledBy) await queryRunner.rollbackTransaction().catch((rollbackError: unknown) => (spoiledBy = rollbackError));
        if (mayRetry && isTransactionConflict(error)) throw new RetryableConflict(error);
        const failure = asUnavailable(error) ?? error;
        // Inside the transaction's context: a hook may defer writes of its own (AuditService.fileUnfinished).
        requestContextStorage.run(context, () => {
          for (const hook of context.onFailure) hook(failure);
        });
        if (!spoiledBy) await this.runDeferredWrites(context).catch((writeError: unknown) => this.logDeferredFailure(writeError));
        throw failure;
      }
      await this.runDeferredWrites(context);
      return result;
    } finally {
      await release(queryRunner, spoiledBy);
    }
  }

  /** Whether TypeORM's query has nothing to do besides the query and its log: no subscribers, no slow-query log. */
  private mayQueryDirectly(): boolean {
    return this.dataSource.subscribers.length === 0 && !this.dataSource.options.maxQueryExecutionTime;
  }

  private async runDeferredWrites(context: RequestContext): Promise<void> {
    const pending = context.deferredWrites.splice(0);
    if (pending.length === 0) return;
    const { queryRunner } = context;
    const deferredContext = newContext(queryRunner, context.actor, context.auditActor, context.meta);
    await queryRunner.startTransaction();
    try {
      await requestContextStorage.run(deferredContext, async () => {
        for (const { actor, write } of pending) {
          await applyActor(queryRunner, actor);
          deferredContext.actor = actor;
          await write(queryRunner.manager);
        }
      });
      await commitWith(queryRunner, commitStatements(deferredContext), { isDirect: this.mayQueryDirectly() });
      for (const callback of deferredContext.afterCommit.splice(0)) callback();
    } catch (error) {
      if (queryRunner.isTransactionActive) await queryRunner.rollbackTransaction().catch(() => undefined);
      throw asUnavailable(error) ?? error;
    }
  }

  private logDeferredFailure(error: unknown): void {
    this.logger.error(`Rows that record a failed request could not be written: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function newContext(queryRunner: QueryRunner, actor: Actor, auditActor: AuditActor | null, meta: RequestMeta): RequestContext {
  return {
    queryRunner,
    actor: { ...actor },
    auditActor,
    meta,
    deferredWrites: [],
    atCommit: [],
    afterCommit: [],
    onFailure: [],
    locals: new Map(),
  };
}

/** Whether the runner's pg connection sends statements without waiting for the answers before (node-postgres pipeline mode: data-source.ts). */
function isPipelined(queryRunner: QueryRunner): boolean {
  return (queryRunner as QueryRunner & { databaseConnection?: { pipeline?: boolean } }).databaseConnection?.pipeline === true;
}

/** The statements the transaction's atCommit builders make, in order (each builder runs once). */
function commitStatements(context: RequestContext): string[] {
  return context.atCommit.splice(0).flatMap((build) => {
    const statement = build();
    return statement === null ? [] : [statement];
  });
}

/**
 * Makes `queryRunner.query` send the statement straight to its pg connection (issue 14: TypeORM's
 * query awaits its connect and subscriber broadcasts around every statement, a few percent of
 * a read's CPU). Same log calls, same answer as PostgresQueryRunner.query (rows; [rows, count]
 * for UPDATE and DELETE; nothing for several statements), same QueryFailedError around the
 * driver's error; anything else (a released runner, named parameters, a structured result) goes
 * the usual way. A statement marked with `prepared` (prepared-statements.ts) goes as a named
 * prepared statement. Only for a data source without subscribers or slow-query log (Db.mayQueryDirectly).
 * The runner's EntityManager's query (what repositories call: Db.manager().query) calls it
 * straight too: EntityManager.query and DataSource.query are two async layers that, for a
 * runner of their own, only refuse a released one, as this does.
 */
function queryDirectly(queryRunner: QueryRunner, logger: QueryLogger): void {
  queryRunner.manager.query = ((sql: string, parameters?: unknown[]) =>
    queryRunner.isReleased ? Promise.reject(new QueryRunnerProviderAlreadyReleasedError()) : queryRunner.query(sql, parameters)) as EntityManager['query'];
  const runner = queryRunner as QueryRunner & { databaseConnection?: PoolClient };
  const usual = queryRunner.query.bind(queryRunner) as (sql: string, parameters?: unknown[], useStructuredResult?: boolean) => Promise<unknown>;
  queryRunner.query = (async (sql: string, parameters?: unknown[], useStructuredResult?: boolean) => {
    const connection = runner.databaseConnection;
    if (useStructuredResult || runner.isReleased || !connection || (parameters !== undefined && !Array.isArray(parameters))) return usual(sql, parameters, useStructuredResult);
    logger.logQuery(sql, parameters, queryRunner);
    let raw: unknown;
    const name = parameters?.length ? preparedNameOf(sql) : undefined;
    try {
      raw = await (name ? queryPrepared(connection, name, sql, parameters ?? []) : connection.query(sql, parameters));
    } catch (error) {
      logger.logQueryError(error as Error, sql, parameters, queryRunner);
      throw new QueryFailedError(sql, parameters, error as Error);
    }
    if (!raw) return new QueryResult();
    // Several statements answer an array of results, which has no rows: undefined, as TypeORM answers.
    const { command, rows, rowCount } = raw as { command?: string; rows?: unknown[]; rowCount?: number | null };
    return command === 'DELETE' || command === 'UPDATE' ? [rows, rowCount] : rows;
  }) as QueryRunner['query'];
}

/**
 * A named prepared statement sent as node-postgres's own Query object (its documented
 * submittable form): a plain `{ name, text, values }` config is copied property by property
 * through its descriptors on every call, ~1.5% of a read's CPU in the API (issue 14).
 */
function queryPrepared(connection: PoolClient, name: string, text: string, values: unknown[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    // The Query's name is what makes it prepared; its type does not declare it.
    const query: pg.Query & { name?: string } = new pg.Query(text, values, (error, result) => (error ? reject(error) : resolve(result)));
    query.name = name;
    connection.query(query);
  });
}

const SET_ACTOR = prepared(`SELECT set_config('app.user_id', $1, true), set_config('app.role', $2, true)`);

async function applyActor(queryRunner: QueryRunner, actor: Actor): Promise<void> {
  await queryRunner.query(SET_ACTOR, [
    actor.userId ?? '',
    actor.role ?? '',
  ]);
}

/** A connection that timed out or broke is closed by the pool, never handed to the next request. */
async function release(queryRunner: QueryRunner, spoiledBy: unknown): Promise<void> {
  const discardable = queryRunner as QueryRunner & DiscardableQueryRunner;
  if (spoiledBy && discardable.releasePostgresConnection) {
    await discardable.releasePostgresConnection(spoiledBy instanceof Error ? spoiledBy : new Error('connection spoiled'));
    return;
  }
  await queryRunner.release();
}

/** The database could not serve (down, frozen, overloaded, or a conflict that kept coming back): 503. */
function asUnavailable(error: unknown): DependencyUnavailable | null {
  if (error instanceof DependencyUnavailable) return error;
  if (isTransactionConflict(error)) return new DependencyUnavailable('database', RETRY_AFTER_CONFLICT_SECONDS, 'conflicting transactions');
  const reason = databaseUnavailableReason(error);
  return reason === null ? null : new DependencyUnavailable('database', RETRY_AFTER_DOWN_SECONDS, reason);
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export { ANONYMOUS };
export type { Actor };
