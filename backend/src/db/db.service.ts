import { Inject, Injectable } from '@nestjs/common';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import {
  ANONYMOUS,
  requestContextStorage,
  type Actor,
  type RequestContext,
  type RequestMeta,
} from './request-context.js';

export const DATA_SOURCE = Symbol('DATA_SOURCE');

const SYSTEM_META: RequestMeta = { requestId: 'system', ip: null, userAgent: null };

/**
 * Opens the transactions that every data access runs in and sets the RLS
 * context in them. The only way application code reaches the database.
 */
@Injectable()
export class Db {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  /**
   * Runs `work` in one transaction under `actor`. Commits when it resolves,
   * rolls back when it throws; deferred writes then run in a transaction of
   * their own, so a denial is recorded even though the action was not.
   */
  async run<T>(actor: Actor, meta: RequestMeta, work: () => Promise<T>): Promise<T> {
    const queryRunner = this.dataSource.createQueryRunner();
    await queryRunner.connect();
    const context: RequestContext = { queryRunner, actor: { ...actor }, meta, deferredWrites: [], afterCommit: [] };
    try {
      await queryRunner.startTransaction();
      await applyActor(queryRunner, actor);
      let result: T;
      try {
        result = await requestContextStorage.run(context, work);
        await queryRunner.commitTransaction();
        for (const callback of context.afterCommit.splice(0)) callback();
      } catch (error) {
        if (queryRunner.isTransactionActive) await queryRunner.rollbackTransaction();
        throw error;
      } finally {
        await this.runDeferredWrites(context);
      }
      return result;
    } finally {
      await queryRunner.release();
    }
  }

  /** A transaction outside any HTTP request (jobs, command-line steps, tests). */
  runAs<T>(actor: Actor, work: () => Promise<T>): Promise<T> {
    return this.run(actor, SYSTEM_META, work);
  }

  /**
   * One statement on its own, outside any request transaction: for the shared
   * counters every request touches before its transaction starts (rate limits).
   */
  async queryAlone<T>(sql: string, params: unknown[]): Promise<T> {
    return this.dataSource.query<T>(sql, params);
  }

  /** The entity manager of the current transaction. */
  manager(): EntityManager {
    return this.context().queryRunner.manager;
  }

  actor(): Actor {
    return this.context().actor;
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
   * Runs `callback` once the current transaction has committed, and not at all
   * if it rolls back: for work that must only see committed rows (waking the
   * mail sender). It must not throw.
   */
  afterCommit(callback: () => void): void {
    this.context().afterCommit.push(callback);
  }

  /** Queues a write that must happen even if the request fails (denials, lockouts). */
  deferWrite(write: (manager: EntityManager) => Promise<void>): void {
    const context = this.context();
    context.deferredWrites.push({ actor: { ...context.actor }, write });
  }

  private context(): RequestContext {
    const context = requestContextStorage.getStore();
    if (!context) throw new Error('No database transaction: the call is outside Db.run');
    return context;
  }

  private async runDeferredWrites(context: RequestContext): Promise<void> {
    const pending = context.deferredWrites.splice(0);
    if (pending.length === 0) return;
    const { queryRunner } = context;
    await queryRunner.startTransaction();
    try {
      for (const { actor, write } of pending) {
        await applyActor(queryRunner, actor);
        await requestContextStorage.run({ ...context, actor }, () => write(queryRunner.manager));
      }
      await queryRunner.commitTransaction();
    } catch (error) {
      await queryRunner.rollbackTransaction();
      throw error;
    }
  }
}

async function applyActor(queryRunner: QueryRunner, actor: Actor): Promise<void> {
  await queryRunner.query(`SELECT set_config('app.user_id', $1, true), set_config('app.role', $2, true)`, [
    actor.userId ?? '',
    actor.role ?? '',
  ]);
}

export { ANONYMOUS };
export type { Actor };
