/**
 * A doctor's `GET /records/:id` (issue 14) against a bare Fastify + pg route
 * doing the same necessary work (read-baseline.ts, in a process of its own:
 * JWT check, BEGIN, one consent-checked SELECT, one audit INSERT continuing the
 * patient's chain, COMMIT), on the same database in the same run.
 *
 * Data: one approved doctor and PATIENTS patients, each with one record shared
 * with the doctor by a consent over that record, all made through the API
 * (test-support factories). Loads (load.ts, closed loop in a worker thread):
 * 16 and 64 connections, reads spread over every patient and reads of one
 * patient's record only; product and baseline alternate, REPETITIONS times;
 * medians of the rates, and ratios as the median of each repetition's pair
 * (run back to back, so drifting load on a shared machine hits both alike). On Linux the CPU
 * each side spent per read (its server process, PostgreSQL's processes of the database, the load
 * generator's thread) is read from /proc around every run: on two busy cores throughput is CPU,
 * so the quotient of the totals is the ratio the CPU allows, which moves far less with the
 * machine's other load than the rates do. Afterwards the audit rows are counted against the requests
 * answered and every touched chain is verified (shared-types
 * firstBrokenAuditRow).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { API_PREFIX, DOCTOR_WRAP_BYTES, ROUTES, firstBrokenAuditRow, type AuditEvent } from '@phr/shared-types';
import { pathOf } from '@phr/api-client';
import { registerUser, type RegisteredUser } from '@phr/backend/test-support/factories.js';
import { uploadRecord } from '@phr/backend/test-support/records.js';
import type { ApiBenchRow } from './api-bench.js';
import { measureLoad, median, type LoadResult } from './load.js';
import { listenerPid, serverCpu, totalCpu, type CpuPerOperation } from './process-cpu.js';
import { loadOrCreateSecrets } from '../local/local-secrets.js';
import { stackMailbox, type RunningStack } from '../local/stack.js';

const PATIENTS = 200;
const SECONDS = 4;
const REPETITIONS = 5;
const CONNECTIONS = [16, 64] as const;
/** The API's pool (DATABASE_POOL_SIZE's default); the baseline gets a pool of the same size. */
const POOL_SIZE = 10;
const SETUP_CONCURRENCY = 4;

export interface ReadTarget {
  patientId: string;
  recordId: string;
}

type Spread = 'spread' | 'one';

interface Figures {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export async function readBench(stack: RunningStack, workDir: string): Promise<ApiBenchRow[]> {
  const api = { baseUrl: stack.apiUrl, mail: stackMailbox(stack), ownerUrl: stack.databaseOwnerUrl };
  const doctor = await registerUser(api, 'doctor');
  log(`Making ${PATIENTS} patients, each with a record shared with the doctor…`);
  const targets = await inBatches(PATIENTS, SETUP_CONCURRENCY, () => sharedRecord(api, doctor));
  const secrets = await loadOrCreateSecrets(path.join(workDir, 'data'));
  const baseline = await startBaseline(stack.databaseOwnerUrl, secrets.jwtSecret);
  const owner = new pg.Pool({ connectionString: stack.databaseOwnerUrl, max: 2 });
  try {
    const headers = { authorization: `Bearer ${doctor.token}` };
    const urlsOf = (base: string, spread: Spread) =>
      (spread === 'spread' ? targets : targets.slice(0, 1)).map((target) => ({ url: `${base}${pathOf(ROUTES.getRecord, { id: target.recordId })}`, headers }));
    const runs = new Map<string, LoadResult[]>();
    const database = new URL(stack.databaseOwnerUrl).pathname.slice(1);
    const postmasterPid = listenerPid(Number(new URL(stack.databaseAdminUrl).port));
    const cpuOf = { product: serverCpu(listenerPid(Number(new URL(stack.apiUrl).port)), postmasterPid, database), baseline: serverCpu(baseline.pid, postmasterPid, database) };
    const cpuRuns = new Map<string, CpuPerOperation[]>();
    let productRequests = 0;
    let baselineRequests = 0;
    for (let repetition = 0; repetition < REPETITIONS; repetition++) {
      for (const connections of CONNECTIONS) {
        for (const spread of ['spread', 'one'] as const) {
          // Alternate which goes first, so a change in the machine's load hits both alike.
          const order = (repetition + connections) % 2 ? (['product', 'baseline'] as const) : (['baseline', 'product'] as const);
          for (const kind of order) {
            const base = kind === 'product' ? `${stack.apiUrl}${API_PREFIX}` : baseline.url;
            // The lean load: node:http's client would spend more CPU on the product's larger answers (segment URLs, security headers), on the cores both servers share.
            const before = cpuOf[kind].read();
            const result = await measureLoad({ url: '', requests: urlsOf(base, spread), connections, seconds: SECONDS, expectStatus: 200, lean: true });
            const cpu = cpuOf[kind].since(before, result.loadCpuMs, result.requests);
            if (kind === 'product') productRequests += result.requests;
            else baselineRequests += result.requests;
            const key = `${kind}/${connections}/${spread}`;
            runs.set(key, [...(runs.get(key) ?? []), result]);
            if (cpu) cpuRuns.set(key, [...(cpuRuns.get(key) ?? []), cpu]);
            log(`${key}: ${result.perSecond.toFixed(0)} req/s, p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms`);
          }
        }
      }
    }
    const figures = (key: string): Figures => {
      const results = runs.get(key) ?? [];
      return { perSecond: median(results.map((r) => r.perSecond)), p50Ms: median(results.map((r) => r.p50Ms)), p99Ms: median(results.map((r) => r.p99Ms)) };
    };
    // Each repetition's two runs ran back to back: the median of their ratios follows a machine whose load drifts better than the ratio of medians.
    const pairedRatio = (key: string, baselineKey: string) => {
      const [values, baselines] = [runs.get(key) ?? [], runs.get(baselineKey) ?? []];
      return median(values.map((result, index) => result.perSecond / baselines[index].perSecond));
    };
    const check = await checkTrail(owner, doctor.userId, targets, productRequests, baselineRequests);
    const rows: ApiBenchRow[] = [];
    for (const connections of CONNECTIONS) {
      for (const spread of ['spread', 'one'] as const) {
        const product = figures(`product/${connections}/${spread}`);
        const bare = figures(`baseline/${connections}/${spread}`);
        rows.push({
          measure: `Doctor's GET /records/:id, ${spread === 'spread' ? `${PATIENTS} patients` : 'one patient'}, ${connections} connections (${SECONDS} s × ${REPETITIONS}, medians)`,
          value: `${describe(product)}`,
          baseline: `${describe(bare)} bare Fastify + pg, same work`,
          ratio: `${pairedRatio(`product/${connections}/${spread}`, `baseline/${connections}/${spread}`).toFixed(2)}× the throughput`,
        });
      }
    }
    for (const connections of CONNECTIONS) {
      const spread = figures(`product/${connections}/spread`);
      const one = figures(`product/${connections}/one`);
      rows.push({
        measure: `One patient's record read by ${connections} connections, against reads spread over ${PATIENTS} patients (product)`,
        value: `${one.perSecond.toFixed(0)} req/s`,
        baseline: `${spread.perSecond.toFixed(0)} req/s spread`,
        ratio: `${pairedRatio(`product/${connections}/one`, `product/${connections}/spread`).toFixed(2)}× the throughput`,
      });
    }
    for (const connections of CONNECTIONS) {
      const [product, bare] = [cpuRuns.get(`product/${connections}/spread`) ?? [], cpuRuns.get(`baseline/${connections}/spread`) ?? []];
      if (product.length === REPETITIONS && bare.length === REPETITIONS) rows.push(cpuRow(connections, product, bare));
    }
    const at64 = figures('product/64/spread');
    rows.push({
      measure: `p99 against p50, ${PATIENTS} patients, 64 connections (product)`,
      value: `p99 ${at64.p99Ms.toFixed(1)} ms`,
      baseline: `p50 ${at64.p50Ms.toFixed(1)} ms`,
      ratio: `${(at64.p99Ms / at64.p50Ms).toFixed(2)}×`,
    });
    rows.push({
      measure: 'Audit rows of the reads after the runs',
      value: `${check.productRows} rows for ${productRequests} product answers; chains ${check.brokenChains === 0 ? 'verify' : `BROKEN in ${check.brokenChains}`}`,
      baseline: `${check.baselineRows} rows for ${baselineRequests} baseline answers`,
      ratio: check.productRows === productRequests && check.baselineRows === baselineRequests && check.brokenChains === 0 ? 'all written' : 'MISMATCH',
    });
    return rows;
  } finally {
    await owner.end();
    await baseline.stop();
  }
}

/** CPU per read of both sides at one load (medians of the runs), and the ratio it allows. */
function cpuRow(connections: number, product: CpuPerOperation[], bare: CpuPerOperation[]): ApiBenchRow {
  const describeCpu = (runs: CpuPerOperation[], server: string) => {
    const of = (part: keyof CpuPerOperation) => median(runs.map((run) => run[part])).toFixed(2);
    return `${median(runs.map(totalCpu)).toFixed(2)} ms: ${server} ${of('server')} (main thread ${of('serverMainThread')}), PostgreSQL ${of('postgres')}, load generator ${of('load')}`;
  };
  return {
    measure: `CPU per read, ${PATIENTS} patients, ${connections} connections (/proc, medians of the same runs)`,
    value: describeCpu(product, 'API'),
    baseline: describeCpu(bare, 'bare route'),
    ratio: `${(median(bare.map(totalCpu)) / median(product.map(totalCpu))).toFixed(2)}× allowed by the CPU`,
  };
}

function describe(figures: Figures): string {
  return `${figures.perSecond.toFixed(0)} req/s (p50 ${figures.p50Ms.toFixed(1)} ms, p99 ${figures.p99Ms.toFixed(1)} ms)`;
}

/** A new patient with one record, shared with `doctor` by a consent over that record. */
export async function sharedRecord(api: Parameters<typeof registerUser>[0], doctor: RegisteredUser): Promise<ReadTarget> {
  const patient = await registerUser(api);
  const { summary } = await uploadRecord(patient);
  const wraps = [{ recordId: summary.id, wrap: randomBytes(DOCTOR_WRAP_BYTES).toString('base64url') }];
  const granted = await patient.client.send(ROUTES.createConsent, { token: patient.token, body: { doctorId: doctor.userId, scope: 'record', recordId: summary.id, wraps } });
  if (granted.status !== 201) throw new Error(`consent failed: ${granted.status} ${granted.text}`);
  return { patientId: patient.userId, recordId: summary.id };
}

async function inBatches<T>(count: number, concurrency: number, make: () => Promise<T>): Promise<T[]> {
  const made: T[] = [];
  while (made.length < count) made.push(...(await Promise.all(Array.from({ length: Math.min(concurrency, count - made.length) }, make))));
  return made;
}

/** Counts the doctor's read rows, product and baseline apart, and verifies every patient's whole chain. */
async function checkTrail(owner: pg.Pool, doctorId: string, targets: ReadTarget[], productRequests: number, baselineRequests: number) {
  const { rows: counts } = await owner.query<{ product: string; baseline: string }>(
    `SELECT count(*) FILTER (WHERE request_id NOT LIKE 'baseline:%') AS product, count(*) FILTER (WHERE request_id LIKE 'baseline:%') AS baseline
     FROM audit_events WHERE action = 'record.read' AND actor_id = $1`,
    [doctorId],
  );
  let brokenChains = 0;
  const sha256Hex = (text: string) => Promise.resolve(createHash('sha256').update(text, 'utf8').digest('hex'));
  for (const { patientId } of targets) {
    const { rows } = await owner.query<{ subject_id: string; seq: string; occurred_at: Date; actor_id: string | null; actor_role: string | null; action: string; outcome: 'allow' | 'deny'; reason: string | null; record_id: string | null; consent_id: string | null; ip: string | null; user_agent: string | null; request_id: string | null; prev_hash: string; hash: string }>(
      'SELECT * FROM audit_events WHERE subject_id = $1 ORDER BY seq',
      [patientId],
    );
    const events = rows.map(
      (row): AuditEvent => ({
        subjectId: row.subject_id,
        seq: Number(row.seq),
        occurredAt: row.occurred_at.toISOString(),
        actorId: row.actor_id,
        actorRole: row.actor_role as AuditEvent['actorRole'],
        action: row.action as AuditEvent['action'],
        outcome: row.outcome,
        reason: row.reason,
        recordId: row.record_id,
        consentId: row.consent_id,
        ip: row.ip,
        userAgent: row.user_agent,
        requestId: row.request_id,
        prevHash: row.prev_hash,
        hash: row.hash,
      }),
    );
    if ((await firstBrokenAuditRow(events, sha256Hex)) !== null) brokenChains++;
  }
  log(`Audit: ${counts[0].product} product rows for ${productRequests} answers, ${counts[0].baseline} baseline rows for ${baselineRequests}; ${brokenChains} broken chains of ${targets.length}`);
  return { productRows: Number(counts[0].product), baselineRows: Number(counts[0].baseline), brokenChains };
}

/** Starts read-baseline.ts in a process of its own and waits for its URL. */
export async function startBaseline(ownerUrl: string, jwtSecretHex: string): Promise<{ url: string; pid: number | null; stop(): Promise<void> }> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'read-baseline.ts');
  const env = { ...process.env, READ_BASELINE: JSON.stringify({ databaseUrl: ownerUrl, poolSize: POOL_SIZE, jwtSecretHex, jwtKeyId: 'k1' }) };
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const found = /listening (\S+)/.exec(out);
      if (found) resolve(found[1]);
    });
    child.once('exit', (code) => reject(new Error(`the read baseline exited with ${code}`)));
  });
  return {
    url,
    pid: child.pid ?? null,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function log(message: string): void {
  process.stderr.write(`  ${message}\n`);
}
