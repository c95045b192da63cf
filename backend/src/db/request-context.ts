/**
 * The per-request database context (DESIGN 6): one transaction per request,
 * with the caller's id and role set for Row-Level Security. Carried through
 * async calls by AsyncLocalStorage, so services and repositories never see
 * the HTTP request.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { EntityManager, QueryRunner } from 'typeorm';
import type { Role } from '@phr/shared-types';

/** Who the database should believe is asking. `userId` null: not signed in (yet). */
export interface Actor {
  userId: string | null;
  role: Role | null;
}

export const ANONYMOUS: Actor = { userId: null, role: null };

/** Facts about the HTTP request that the audit trail records. */
export interface RequestMeta {
  requestId: string;
  ip: string | null;
  userAgent: string | null;
}

/** Work that must survive the request's rollback, such as the audit row of a denial. */
export interface DeferredWrite {
  actor: Actor;
  write: (manager: EntityManager) => Promise<void>;
}

export interface RequestContext {
  queryRunner: QueryRunner;
  actor: Actor;
  meta: RequestMeta;
  deferredWrites: DeferredWrite[];
  /** Callbacks to run once the transaction has committed (never after a rollback). */
  afterCommit: Array<() => void>;
}

export const requestContextStorage = new AsyncLocalStorage<RequestContext>();
