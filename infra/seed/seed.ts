/**
 * The data generator (issue 14): fills a migrated database with accounts,
 * records, consents and audit trails whose hash chains verify, in one
 * transaction, with SQL that keeps every invariant the schema and the API
 * keep (see accounts.ts, records.ts, audit-trail.ts for what each step
 * mirrors). Each call adds new accounts; it never touches existing rows, so
 * seeds can be layered (one patient with a long trail, then many short ones).
 *
 * Run it before the API starts (or while it is idle): the audit table is
 * locked until the seed commits, and the API signs the grown key directory's
 * head when it starts.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { insertAccounts, type SeededAccount } from './accounts.js';
import { writeTrails, type SeededHeads, type TrailSubject } from './audit-trail.js';
import { insertRecordsAndConsents } from './records.js';

export interface SeedOptions {
  patients: number;
  recordsPerPatient?: number;
  doctors?: number;
  auditors?: number;
  /** Consents in force per patient (scope "all"), to distinct doctors while there are enough. */
  consentsPerPatient?: number;
  /** Audit rows in each patient's trail (at least 1: the registration)… */
  auditRowsPerPatient?: number;
  /** …or this many in all, spread evenly over the patients. */
  auditRows?: number;
  /** The auth key every seeded account signs in with (POST /auth/login {email, authKey}); random when not given. */
  authKey?: string;
  /** How far back the trails start; they end a minute before the seed. */
  spanDays?: number;
}

export interface SeedResult {
  /** In every seeded email: seed-<tag>-<role>-<n>@example.org. */
  tag: string;
  authKey: string;
  patients: SeededAccount[];
  doctors: SeededAccount[];
  auditors: SeededAccount[];
  records: number;
  consents: number;
  auditRows: number;
  heads: SeededHeads;
}

/** Rows of a staff trail: a registration and a few sessions. */
const STAFF_TRAIL_ROWS = 20;

export async function seed(databaseUrl: string, options: SeedOptions): Promise<SeedResult> {
  const tag = randomBytes(3).toString('hex');
  const authKey = options.authKey ?? randomBytes(32).toString('base64url');
  const until = new Date(Date.now() - 60_000);
  const since = new Date(until.getTime() - (options.spanDays ?? 365) * 86_400_000);
  const perPatient = options.auditRowsPerPatient ?? (options.auditRows !== undefined ? Math.ceil(options.auditRows / Math.max(1, options.patients)) : 50);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    const doctors = await insertAccounts(client, 'doctor', options.doctors ?? Math.max(1, Math.ceil(options.patients / 20)), tag, authKey, since);
    const auditors = await insertAccounts(client, 'auditor', options.auditors ?? 1, tag, authKey, since);
    const patients = await insertAccounts(client, 'patient', options.patients, tag, authKey, since);
    const { recordIds, consents } = await insertRecordsAndConsents(client, patients, doctors, {
      recordsPerPatient: options.recordsPerPatient ?? 10,
      consentsPerPatient: options.consentsPerPatient ?? 1,
      createdAt: since,
    });
    const subjects: TrailSubject[] = [
      ...[...doctors, ...auditors].map((account) => ({ subjectId: account.userId, role: account.role, rows: STAFF_TRAIL_ROWS, recordIds: [], consents: [] })),
      ...patients.map((patient, index) => ({
        subjectId: patient.userId,
        role: patient.role,
        // The total, when given, is met exactly: the last patient takes the remainder.
        rows: Math.max(1, options.auditRows !== undefined && options.auditRowsPerPatient === undefined && index === patients.length - 1 ? options.auditRows - perPatient * (patients.length - 1) : perPatient),
        recordIds: recordIds.get(patient.userId) ?? [],
        consents: consents.get(patient.userId) ?? [],
      })),
    ];
    const people = { doctorIds: doctors.map((d) => d.userId), auditorIds: auditors.map((a) => a.userId) };
    const heads = await writeTrails(client, subjects, people, { since, until });
    await client.query('COMMIT');
    await client.query('ANALYZE audit_events');
    return {
      tag,
      authKey,
      patients,
      doctors,
      auditors,
      records: [...recordIds.values()].reduce((sum, ids) => sum + ids.length, 0),
      consents: [...consents.values()].reduce((sum, granted) => sum + granted.length, 0),
      auditRows: subjects.reduce((sum, subject) => sum + subject.rows, 0),
      heads,
    };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}
