/**
 * `npm run seed -- --patients N --records M --audit-rows K [--doctors D] [--auditors A]
 *   [--consents C] [--audit-rows-total T] [--span-days S] [--auth-key KEY] [--database-url URL]`
 *
 * Without --database-url: a new database on the local PostgreSQL (DATABASE_URL, or
 * postgres://postgres@127.0.0.1:5432/postgres), migrated, with the test roles' passwords
 * (infra/local/test-database.ts), printed so an API can be pointed at it. With it: that
 * database, migrated already, as its owner (or a superuser).
 */
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { runMigrations } from '../../backend/src/db/migrate.js';
import { provisionDatabase, roleUrl, withClient } from '../local/postgres.js';
import { TEST_APP_PASSWORD, TEST_OWNER_PASSWORD } from '../local/test-database.js';
import { seed } from './seed.js';

const USAGE = 'npm run seed -- --patients N [--records M] [--audit-rows K | --audit-rows-total T] [--doctors D] [--auditors A] [--consents C] [--span-days S] [--auth-key KEY] [--database-url URL]';

function count(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value.replace(/_/g, ''));
  if (!Number.isSafeInteger(parsed) || parsed < 0) throw new Error(`--${name} must be a whole number ≥ 0 (${USAGE})`);
  return parsed;
}

/** A new migrated database on the local server; its owner's URL (the seed disables triggers, which only the owner may). */
async function throwawayDatabase(adminUrl: string): Promise<{ name: string; ownerUrl: string; appUrl: string }> {
  const name = `phr_seed_${randomBytes(5).toString('hex')}`;
  const { ownerUrl, appUrl } = await provisionDatabase(adminUrl, { database: name, ownerPassword: TEST_OWNER_PASSWORD, appPassword: TEST_APP_PASSWORD });
  await runMigrations(ownerUrl);
  return { name, ownerUrl, appUrl };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      patients: { type: 'string' },
      records: { type: 'string' },
      'audit-rows': { type: 'string' },
      'audit-rows-total': { type: 'string' },
      doctors: { type: 'string' },
      auditors: { type: 'string' },
      consents: { type: 'string' },
      'span-days': { type: 'string' },
      'auth-key': { type: 'string' },
      'database-url': { type: 'string' },
    },
  });
  const patients = count(values.patients, 'patients');
  if (patients === undefined) throw new Error(USAGE);
  let databaseUrl = values['database-url'];
  if (!databaseUrl) {
    const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
    const database = await throwawayDatabase(adminUrl);
    databaseUrl = database.ownerUrl;
    console.log(`Database ${database.name} (migrated)\n  owner: ${database.ownerUrl}\n  app:   ${database.appUrl}`);
    console.log(`  admin: ${roleUrl(adminUrl, database.name, new URL(adminUrl).username, decodeURIComponent(new URL(adminUrl).password))}`);
  }
  const started = performance.now();
  const result = await seed(databaseUrl, {
    patients,
    recordsPerPatient: count(values.records, 'records'),
    auditRowsPerPatient: count(values['audit-rows'], 'audit-rows'),
    auditRows: count(values['audit-rows-total'], 'audit-rows-total'),
    doctors: count(values.doctors, 'doctors'),
    auditors: count(values.auditors, 'auditors'),
    consentsPerPatient: count(values.consents, 'consents'),
    spanDays: count(values['span-days'], 'span-days'),
    authKey: values['auth-key'],
  });
  const seconds = (performance.now() - started) / 1000;
  const size = await withClient(databaseUrl, (client) =>
    client.query<{ table: string; indexes: string }>(`SELECT pg_table_size('audit_events') AS table, pg_indexes_size('audit_events') AS indexes`),
  );
  const MiB = 1024 * 1024;
  console.log(
    `Seeded in ${seconds.toFixed(1)} s: ${result.patients.length} patients, ${result.doctors.length} doctors, ${result.auditors.length} auditors, ` +
      `${result.records} records, ${result.consents} consents, ${result.auditRows} audit rows`,
  );
  console.log(`audit_events now: table ${(Number(size.rows[0].table) / MiB).toFixed(0)} MiB, indexes ${(Number(size.rows[0].indexes) / MiB).toFixed(0)} MiB`);
  console.log(`Sign in as seed-${result.tag}-<patient|doctor|auditor>-<n>@example.org with authKey ${result.authKey}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
