/**
 * The soak's closing check, once the traffic has stopped and the last fault
 * has healed:
 *  1. every record whose commit the API acknowledged is read back by its owner
 *     through the API and decrypts to the bytes that were sealed;
 *  2. after the product's own sweeps have run (the expired-upload sweep, then
 *     the reconciliation that removes objects no row owns, backend/src/jobs),
 *     no upload is left pending and the store holds no object that no record owns;
 *  3. every audit chain in the database verifies (shared-types firstBrokenAuditRow,
 *     as the portal's trust page and the API tests verify them);
 *  4. the audit rows equal the attempts: for every soak account and audited action,
 *     the allow rows are at least the acknowledged attempts and at most those plus
 *     the attempts whose answer was lost to a fault.
 */
import { createHash } from 'node:crypto';
import * as Minio from 'minio';
import pg from 'pg';
import { firstBrokenAuditRow } from '@phr/shared-types';
import { auditRowToEvent, type AuditDbRow } from '../../../backend/src/audit/audit-row.js';
import { withDatabase } from '../../local/postgres.js';
import type { Person } from './actors.js';
import { AUDITED_ACTIONS, type AuditLedger } from './ledger.js';
import { SOAK_API_SETTINGS, type SoakStack } from './soak-stack.js';
import type { World } from './traffic.js';

export interface ConsistencyReport {
  recordsChecked: number;
  recordProblems: string[];
  pendingUploads: number;
  orphanObjects: string[];
  objectsListed: number;
  chainsVerified: number;
  brokenChains: string[];
  auditCounts: { compared: number; exact: number; withinUnknown: number; mismatches: string[] };
  passed: boolean;
}

const READ_CONCURRENCY = 4;

export async function checkConsistency(stack: SoakStack, world: World, ledger: AuditLedger, log: (line: string) => void): Promise<ConsistencyReport> {
  await stack.waitForApi();
  const db = new pg.Pool({ connectionString: withDatabase(stack.adminUrl, stack.database), max: 2 });
  db.on('error', () => undefined);
  try {
    log(`Reading back ${world.committed.length} acknowledged records…`);
    const recordProblems = await readEveryRecord(world);
    log('Waiting for the sweeps: no pending upload, no object without a record…');
    const sweep = await waitForSweptStore(stack, db);
    log('Verifying every audit chain…');
    const { chainsVerified, brokenChains } = await verifyChains(db);
    const auditCounts = await compareAuditRows(db, world, ledger);
    const passed =
      recordProblems.length === 0 && sweep.pendingUploads === 0 && sweep.orphanObjects.length === 0 && brokenChains.length === 0 && auditCounts.mismatches.length === 0;
    return { recordsChecked: world.committed.length, recordProblems, ...sweep, chainsVerified, brokenChains, auditCounts, passed };
  } finally {
    await db.end();
  }
}

async function readEveryRecord(world: World): Promise<string[]> {
  const owners = new Map<string, Person>(world.patients.map((person) => [person.userId, person]));
  const problems: string[] = [];
  let next = 0;
  const reader = async () => {
    while (next < world.committed.length) {
      const record = world.committed[next++];
      const owner = owners.get(record.ownerId);
      if (!owner) {
        problems.push(`${record.recordId}: its owner is not a soak account`);
        continue;
      }
      // A read that got no answer is tried again: the check is about the data, and no fault is injected now.
      let read = await owner.read(record).catch((error: unknown) => ({ status: 0, sha256: `threw ${String(error)}` }));
      if (read === null) read = await owner.read(record).catch((error: unknown) => ({ status: 0, sha256: `threw ${String(error)}` }));
      if (read === null) problems.push(`${record.recordId}: no complete answer`);
      else if (read.status !== 200) problems.push(`${record.recordId}: ${read.status}`);
      else if (read.sha256 !== record.sha256) problems.push(`${record.recordId}: decrypted to other bytes (${read.sha256})`);
    }
  };
  await Promise.all(Array.from({ length: READ_CONCURRENCY }, reader));
  return problems;
}

/**
 * Polls until the product's sweeps have done their work, or gives up after the longest they
 * can take: an upload URL's life, then a sweep and a reconciliation interval, twice over.
 */
async function waitForSweptStore(stack: SoakStack, db: pg.Pool): Promise<{ pendingUploads: number; orphanObjects: string[]; objectsListed: number }> {
  const settings = SOAK_API_SETTINGS;
  const limitMs = (Number(settings.UPLOAD_URL_SECONDS) + 2 * (Number(settings.SWEEP_INTERVAL_SECONDS) + Number(settings.RECONCILE_INTERVAL_SECONDS)) + 60) * 1000;
  const deadline = Date.now() + limitMs;
  const endpoint = new URL(stack.s3.endpoint);
  const store = new Minio.Client({ endPoint: endpoint.hostname, port: Number(endpoint.port), useSSL: false, accessKey: stack.s3.accessKey, secretKey: stack.s3.secretKey, region: 'us-east-1' });
  for (;;) {
    const {
      rows: [pending],
    } = await db.query<{ uploads: string; deletions: string }>('SELECT (SELECT count(*) FROM uploads) AS uploads, (SELECT count(*) FROM object_deletions) AS deletions');
    const keys = await listKeys(store, stack.s3.bucket);
    const ids = [...new Set(keys.map(recordIdOf))];
    const { rows } = await db.query<{ id: string }>('SELECT id FROM records WHERE id = ANY($1::uuid[])', [ids]);
    const owned = new Set(rows.map((row) => row.id));
    const orphanObjects = keys.filter((key) => !owned.has(recordIdOf(key)));
    const state = { pendingUploads: Number(pending.uploads) + Number(pending.deletions), orphanObjects, objectsListed: keys.length };
    if ((state.pendingUploads === 0 && orphanObjects.length === 0) || Date.now() > deadline) return state;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

function recordIdOf(key: string): string {
  return key.split('/')[1] ?? '';
}

async function listKeys(store: Minio.Client, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  const stream = store.listObjectsV2(bucket, 'records/', true);
  for await (const item of stream as AsyncIterable<{ name?: string }>) if (item.name) keys.push(item.name);
  return keys;
}

const sha256Hex = (text: string) => Promise.resolve(createHash('sha256').update(text, 'utf8').digest('hex'));

async function verifyChains(db: pg.Pool): Promise<{ chainsVerified: number; brokenChains: string[] }> {
  const { rows: subjects } = await db.query<{ subject_id: string }>('SELECT DISTINCT subject_id FROM audit_events');
  const brokenChains: string[] = [];
  for (const { subject_id: subjectId } of subjects) {
    const { rows } = await db.query<AuditDbRow>('SELECT * FROM audit_events WHERE subject_id = $1 ORDER BY seq', [subjectId]);
    const broken = await firstBrokenAuditRow(rows.map(auditRowToEvent), sha256Hex);
    if (broken !== null) brokenChains.push(`${subjectId} at seq ${broken}`);
  }
  return { chainsVerified: subjects.length - brokenChains.length, brokenChains };
}

async function compareAuditRows(db: pg.Pool, world: World, ledger: AuditLedger): Promise<ConsistencyReport['auditCounts']> {
  const people = [...world.patients, ...world.doctors].map((person) => person.userId);
  const { rows } = await db.query<{ subject_id: string; action: string; rows: string }>(
    `SELECT subject_id, action, count(*) AS rows FROM audit_events
      WHERE outcome = 'allow' AND subject_id = ANY($1::uuid[]) AND action = ANY($2::text[]) GROUP BY subject_id, action`,
    [people, AUDITED_ACTIONS],
  );
  const written = new Map(rows.map((row) => [`${row.subject_id}|${row.action}`, Number(row.rows)]));
  const attempted = new Map(ledger.entries().map((entry) => [`${entry.subjectId}|${entry.action}`, entry]));
  const report = { compared: 0, exact: 0, withinUnknown: 0, mismatches: [] as string[] };
  for (const key of new Set([...written.keys(), ...attempted.keys()])) {
    const rowCount = written.get(key) ?? 0;
    const { acknowledged = 0, unknown = 0 } = attempted.get(key) ?? {};
    report.compared++;
    if (rowCount === acknowledged) report.exact++;
    else if (rowCount > acknowledged && rowCount <= acknowledged + unknown) report.withinUnknown++;
    else report.mismatches.push(`${key}: ${rowCount} rows for ${acknowledged} acknowledged and ${unknown} unknown attempts`);
  }
  return report;
}
