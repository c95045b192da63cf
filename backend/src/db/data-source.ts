import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { ENTITIES } from './entities.js';

/** The application role's connection pool. No migrations and no synchronize here. */
export function createDataSource(config: AppConfig): DataSource {
  return new DataSource({
    type: 'postgres',
    url: config.database.url,
    entities: ENTITIES,
    poolSize: config.database.poolSize,
    applicationName: 'phr-api',
  });
}
