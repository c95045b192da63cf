/**
 * Runs pending migrations as the owner role. The API itself never migrates:
 * it connects as the application role, which owns nothing.
 *
 *   DATABASE_MIGRATION_URL=postgres://phr_owner:...@host/phr node backend/dist/db/migrate.js
 *
 * A URL that lists several hosts (a failover formation) migrates the one that is primary now.
 */
import { DataSource } from 'typeorm';
import { databaseHostsOf } from '../config/database-url.js';
import { MIGRATIONS } from './migrations/index.js';
import { firstWritable } from './primary-locator.js';

const PRIMARY_CHECK_TIMEOUT_MS = 10_000;

/** `migrations`: all of them; a test may stop earlier, to prepare data a later migration must carry over. */
export async function runMigrations(ownerUrl: string, migrations: typeof MIGRATIONS = MIGRATIONS): Promise<string[]> {
  const hosts = databaseHostsOf(ownerUrl);
  const dataSource = new DataSource({
    type: 'postgres',
    url: hosts.length > 1 ? (await firstWritable(hosts, PRIMARY_CHECK_TIMEOUT_MS)).url : ownerUrl,
    migrations,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
  });
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations();
    return applied.map((migration) => migration.name);
  } finally {
    await dataSource.destroy();
  }
}

const isEntryPoint = import.meta.url === `file://${process.argv[1]}`;
if (isEntryPoint) {
  const url = process.env.DATABASE_MIGRATION_URL;
  if (!url) {
    console.error('Configuration error: DATABASE_MIGRATION_URL is required but not set');
    process.exit(1);
  }
  runMigrations(url).then(
    (names) => console.log(names.length ? `Applied: ${names.join(', ')}` : 'Schema is up to date'),
    (error: unknown) => {
      console.error('Migration failed:', error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
