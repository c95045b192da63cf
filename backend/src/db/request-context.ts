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

/**
 * Who the audit trail names as having acted. Usually the RLS actor; a
 * scheduled job acts under a patient's RLS context (to change only that
 * patient's rows) but is named as the job itself (`system`).
 */
export interface AuditActor {
  userId: string | null;
  role: Role | 'system' | null;
}

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

/** One attempt at a transaction, with what must run just before its commit and after its failure. */
export interface RequestContext {
  queryRunner: QueryRunner;
  actor: Actor;
  /** Overrides the actor named in audit rows (jobs); null: the RLS actor. */
  auditActor: AuditActor | null;
  meta: RequestMeta;
  deferredWrites: DeferredWrite[];
  /**
   * Build, after the work, statements sent in COMMIT's own message (audit rows, in one global
   * lock order); a builder with nothing to send answers null.
   */
  atCommit: Array<() => string | null>;
  /** Callbacks to run once the transaction has committed (never after a rollback). */
  afterCommit: Array<() => void>;
  /** Run when the attempt fails for good, before the deferred writes (to file what did not happen). */
  onFailure: Array<(error: unknown) => void>;
  /** Values kept for the life of this attempt, by key (a service's per-transaction batch). */
  locals: Map<symbol, unknown>;
}

export const requestContextStorage = new AsyncLocalStorage<RequestContext>();

/** The caller of a request whose handler opens its own transactions (@OwnTransactions). */
export interface RequestScope {
  actor: Actor;
  meta: RequestMeta;
}

export const requestScopeStorage = new AsyncLocalStorage<RequestScope>();
