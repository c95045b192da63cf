import { Logger } from '@nestjs/common';
import pg from 'pg';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { ENTITIES } from './entities.js';
import { warmUpAllocator } from './allocator-warm-up.js';
import { PrimaryLocator, primaryClient } from './primary-locator.js';

const logger = new Logger('Db');

/**
 * The application role's connection pool. No migrations and no synchronize
 * here. Every wait has an end (app-config.ts, databaseTimeouts): the pool
 * gives up on a connection after `connectTimeoutMs`, PostgreSQL cancels
 * statements and lock waits, and the client stops waiting on a server that
 * does not answer at all. TCP keep-alive notices a peer that vanished. With a `locator`
 * (DATABASE_URL lists several hosts), each new connection goes to the current primary.
 */
export function createDataSource(config: AppConfig, poolSize = config.database.poolSize, applicationName = 'phr-api', locator: PrimaryLocator | null = null): DataSource {
  const { database } = config;
  return new DataSource({
    type: 'postgres',
    url: database.url,
    entities: ENTITIES,
    poolSize,
    applicationName,
    connectTimeoutMS: database.connectTimeoutMs,
    extra: {
      statement_timeout: database.statementTimeoutMs,
      lock_timeout: database.lockTimeoutMs,
      query_timeout: database.queryTimeoutMs,
      // A transaction left open by a request that died is ended by the server.
      idle_in_transaction_session_timeout: Math.max(database.queryTimeoutMs * 2, 30_000),
      // Statements go out without waiting for the answers before (node-postgres pipeline mode): a request's first statement travels with its START TRANSACTION (Db.attempt, beginAs).
      pipeline: true,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      Client: locator ? primaryClient(locator) : pg.Client,
      // Each new connection's server process first raises its C library's heap trim threshold (allocator-warm-up.ts).
      onConnect: warmUpAllocator,
    },
    // A connection that breaks while no request holds it (idle, or in its warm-up; server restarted or gone) is dropped by the pool; never a crash.
    poolErrorHandler: (error: Error) => logger.warn(`A database connection not in use (idle or warming up) failed and was dropped: ${error.message}`),
  });
}

/** The locator both pools share when DATABASE_URL lists several hosts (a failover formation); null for one host. */
export function primaryLocatorFor(config: AppConfig): PrimaryLocator | null {
  const { hosts, connectTimeoutMs } = config.database;
  if (hosts.length < 2) return null;
  return new PrimaryLocator(hosts, { timeoutMs: connectTimeoutMs, notice: (message) => logger.warn(message) });
}
