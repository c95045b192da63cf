import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { createDataSource, primaryLocatorFor } from './data-source.js';
import { DATA_SOURCE, Db, STATEMENT_DATA_SOURCE } from './db.service.js';
import type { PrimaryLocator } from './primary-locator.js';

/** Where the pools' connections go when DATABASE_URL lists several hosts (null: one host). */
const PRIMARY_LOCATOR = Symbol('PRIMARY_LOCATOR');

@Global()
@Module({
  providers: [
    {
      provide: PRIMARY_LOCATOR,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => primaryLocatorFor(config),
    },
    {
      provide: DATA_SOURCE,
      inject: [APP_CONFIG, PRIMARY_LOCATOR],
      useFactory: async (config: AppConfig, locator: PrimaryLocator | null) => createDataSource(config, config.database.poolSize, 'phr-api', locator).initialize(),
    },
    {
      // Single statements outside any transaction (rate-limit counters, spent proofs of work) get
      // connections of their own: a request that holds a transaction's connection and then runs
      // one must never wait for the pool its own kind has exhausted.
      provide: STATEMENT_DATA_SOURCE,
      inject: [APP_CONFIG, PRIMARY_LOCATOR],
      useFactory: async (config: AppConfig, locator: PrimaryLocator | null) =>
        createDataSource(config, statementPoolSize(config.database.poolSize), 'phr-api-statements', locator).initialize(),
    },
    Db,
  ],
  exports: [Db, DATA_SOURCE],
})
export class DbModule implements OnApplicationShutdown {
  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(STATEMENT_DATA_SOURCE) private readonly statements: DataSource,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    if (this.statements.isInitialized) await this.statements.destroy();
  }
}

/** A quarter of the request pool, at least two: each statement is one short round trip. */
export function statementPoolSize(poolSize: number): number {
  return Math.max(2, Math.ceil(poolSize / 4));
}
