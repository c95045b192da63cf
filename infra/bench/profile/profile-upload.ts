/**
 * Where an encrypted upload's CPU goes (issue 14): starts the product as the bench does, registers a
 * patient through the portal in the bench's own Chromium, then takes turns between the portal's
 * encrypt-and-upload of a 256 MiB file and the plain upload of the same bytes to the same store
 * (the `upload` part of `npm run bench`), ROUNDS times, and prints for each the CPU per upload of
 * every process on the machine by thread (from /proc): Chromium's by process type and thread name
 * (the crypto worker, the renderer's and the browser's threads that hand Blobs over, the network
 * service), the store (in this process, as in the bench), the API and PostgreSQL. Medians of the
 * rounds. Usage:
 *   node --import tsx infra/bench/profile/profile-upload.ts [rounds]
 * Needs Linux (/proc). It counts every process on the machine: run it with nothing else running.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROUTES } from '@phr/shared-types';
import { registerUser } from '@phr/backend/test-support/factories.js';
import { cpuMsOf } from '../process-cpu.js';
import { launchBenchBrowser, linkedName, plainUpload, portalUpload, randomFile, registerPatient } from '../stream-bench.js';
import { stackMailbox } from '../../local/stack.js';
import { startThrowawayStack } from '../../local/throwaway-stack.js';

const ROUNDS = Number(process.argv[2] ?? 3);
const UPLOAD_BYTES = 256 * 1024 * 1024;

/** What a process is, for grouping: Chromium's by its --type (and utility sub-type), node by its script, else its name. */
function kindOf(argv: string[]): string {
  const program = path.basename(argv[0] ?? '?');
  if (program.includes('chrom')) {
    const type = argv.find((arg) => arg.startsWith('--type='))?.slice('--type='.length) ?? 'browser';
    const sub = argv.find((arg) => arg.startsWith('--utility-sub-type='))?.slice('--utility-sub-type='.length);
    return `chromium ${type}${sub ? ` ${sub}` : ''}`;
  }
  if (program === 'node') return `node ${argv.slice(1).filter((arg) => !arg.startsWith('-')).map((arg) => path.basename(arg)).join(' ')}`;
  return program.startsWith('postgres') ? 'postgres' : program;
}

/** CPU ms so far of every thread on the machine, keyed by pid/tid, with its group: the process's kind and, for Chromium, the thread's name. */
async function threadTimes(): Promise<Map<string, { group: string; ms: number }>> {
  const times = new Map<string, { group: string; ms: number }>();
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    // Chromium rewrites its children's argv into one string: split on spaces too.
    const kind = kindOf((await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split(/[\0 ]/));
    for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [] as string[])) {
      const ms = cpuMsOf(Number(pid), Number(tid));
      const thread = (await readFile(`/proc/${pid}/task/${tid}/comm`, 'utf8').catch(() => '')).trim();
      if (ms === null) continue;
      times.set(`${pid}/${tid}`, { group: kind.startsWith('chromium') ? `${kind} [${thread}]` : kind, ms });
    }
  }
  return times;
}

/** CPU ms by group spent between two readings (a thread that started meanwhile counts in full). */
function spent(before: Map<string, { group: string; ms: number }>, after: Map<string, { group: string; ms: number }>): Map<string, number> {
  const byGroup = new Map<string, number>();
  for (const [key, { group, ms }] of after) byGroup.set(group, (byGroup.get(group) ?? 0) + ms - (before.get(key)?.ms ?? 0));
  return byGroup;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

const product = await startThrowawayStack('bench', { env: { RATE_LIMIT_REQUESTS: '10000000' }, build: false });
const { stack, workDir } = product;
const bench = await launchBenchBrowser(workDir);
try {
  await registerPatient(bench.page, stack);
  const file = await randomFile(workDir, 'profile-256.bin', UPLOAD_BYTES);
  const plainUser = await registerUser({ baseUrl: stack.apiUrl, mail: stackMailbox(stack), ownerUrl: stack.databaseOwnerUrl });
  const rounds: Array<{ encrypted: Map<string, number>; plain: Map<string, number> }> = [];
  for (let round = 0; round < ROUNDS; round++) {
    const named = await linkedName(file, `profile-256-${round}.bin`);
    const beforeEncrypted = await threadTimes();
    const encryptedSeconds = await portalUpload(bench, named);
    const encrypted = spent(beforeEncrypted, await threadTimes());
    const presigned = await plainUser.client.send(ROUTES.presignUpload, { token: plainUser.token, body: { size: UPLOAD_BYTES } });
    const beforePlain = await threadTimes();
    const plainSeconds = await plainUpload(bench.page, file, presigned.body);
    const plain = spent(beforePlain, await threadTimes());
    rounds.push({ encrypted, plain });
    console.log(`round ${round + 1}: encrypted ${encryptedSeconds.toFixed(2)} s, plain ${plainSeconds.toFixed(2)} s`);
  }
  const groups = new Set(rounds.flatMap(({ encrypted, plain }) => [...encrypted.keys(), ...plain.keys()]));
  const rows = [...groups]
    .map((group) => ({ group, encrypted: median(rounds.map((r) => r.encrypted.get(group) ?? 0)), plain: median(rounds.map((r) => r.plain.get(group) ?? 0)) }))
    .filter((row) => row.encrypted + row.plain >= 20)
    .sort((a, b) => b.encrypted - a.encrypted);
  console.log('\nCPU ms per 256 MiB upload (medians): encrypted, plain, process [thread]');
  for (const row of rows) console.log(`${row.encrypted.toFixed(0).padStart(7)} ${row.plain.toFixed(0).padStart(7)}  ${row.group}`);
  const total = (pick: 'encrypted' | 'plain') => median(rounds.map((r) => [...r[pick].values()].reduce((sum, ms) => sum + ms, 0)));
  console.log(`${total('encrypted').toFixed(0).padStart(7)} ${total('plain').toFixed(0).padStart(7)}  all threads`);
} finally {
  await bench.close();
  await product.stop();
}
