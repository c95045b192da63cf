/**
 * `npm run bench`: the cost of client-side encryption, measured in one run in
 * headless Chromium against the whole product started as `npm start` does.
 *
 *  1. Encrypt-and-upload of a 256 MiB file through the portal, against a plain
 *     upload of the same file to the same store (same segment URLs' shape,
 *     same parallelism).
 *  2. The record stream's encryption throughput against one raw WebCrypto
 *     AES-GCM call on the same 64 MiB buffer, and raw AES-GCM per chunk size
 *     (the measurement behind RECORD_CHUNK_BYTES).
 *  3. The renderer's peak memory while a 1 GiB file is encrypted and uploaded.
 *  4. A doctor's GET /records/:id against a bare Fastify primary-key SELECT (api-bench.ts).
 *  5. Registration starts for an address with an account against a new one (api-bench.ts).
 *  6. Audit reading at scale on seeded trails, against the same SQL on bare pg (audit-bench.ts).
 *
 * Figures are printed as a Markdown table; docs/benchmarks.md holds a run's.
 */
import { randomBytes } from 'node:crypto';
import { open, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { RECORD_CHUNK_BYTES, RECORD_CHUNKS_PER_SEGMENT, ROUTES, type PresignUploadResponse } from '@phr/shared-types';
import { registerUser } from '@phr/backend/test-support/factories.js';
import { doctorReadBench, registrationStartBench } from './api-bench.js';
import { auditReadBench } from './audit-bench.js';
import { linkIn } from '../local/mail/mailbox.js';
import { stackMailbox, type RunningStack } from '../local/stack.js';
import { startThrowawayStack } from '../local/throwaway-stack.js';

const MiB = 1024 * 1024;
const UPLOAD_BYTES = 256 * MiB;
const MEMORY_FILE_BYTES = 1024 * MiB;
const CRYPTO_BUFFER_BYTES = 64 * MiB;
const ROUNDS = 3;
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

interface Row {
  measure: string;
  value: string;
  baseline: string;
  ratio: string;
}

/** `npm run bench -- crypto upload` runs only those parts (memory, upload, crypto, api, audit); no argument runs all. */
const parts = process.argv.slice(2);
const wanted = (part: 'memory' | 'upload' | 'crypto' | 'api' | 'audit') => parts.length === 0 || parts.includes(part);

async function main(): Promise<void> {
  log('Starting the product (database, object store, API, portal)…');
  // The API bench sends thousands of requests a second as one doctor, and hundreds of registration starts: no rate limit in the way.
  const unlimited = { RATE_LIMIT_REQUESTS: '10000000', RATE_LIMIT_REGISTRATIONS: '10000000', RATE_LIMIT_REGISTRATION_MAILS: '10000000' };
  const product = await startThrowawayStack('bench', { env: unlimited, build: true });
  const { stack, workDir, database } = product;
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(600_000);
    // tsx keeps function names with a helper the page does not have; the functions passed to evaluate() need it.
    await page.addInitScript({ content: 'globalThis.__name = (fn) => fn;' });
    await registerPatient(page, stack);
    // The memory figure first, on a page that has done nothing else yet.
    const rows: Row[] = [];
    if (wanted('memory')) rows.push(...(await memoryOfLargeUpload(page, workDir)));
    if (wanted('upload')) rows.push(...(await uploadRatio(page, stack, workDir)));
    if (wanted('crypto')) rows.push(...(await encryptionThroughput(page)));
    if (wanted('api')) {
      log('Doctor reads through the API against a bare Fastify route…');
      rows.push(...(await doctorReadBench(stack, database)));
      log('Registration starts for taken and new addresses…');
      rows.push(...(await registrationStartBench(stack)));
    }
    if (wanted('audit')) {
      log('Audit reading at scale: seeded trails, GET /audit against its own SQL on bare pg…');
      rows.push(...(await auditReadBench(stack, database)));
    }
    printTable(rows);
  } finally {
    await browser.close();
    await product.stop();
  }
}

/** As a person registers: the email, the link from the mail (the stack's SMTP server keeps it), then the form. */
async function registerPatient(page: Page, stack: RunningStack): Promise<void> {
  const tag = randomBytes(4).toString('hex');
  const email = `bench-${tag}@example.org`;
  const password = `bench lantern orbit ${tag} marsh`;
  await page.goto(new URL('/register', stack.portalUrl).toString());
  await page.getByRole('radio', { name: 'Patient' }).check();
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Email me a link' }).click();
  await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
  await page.goto(linkIn(await stackMailbox(stack).next(email)) ?? '');
  await page.getByLabel('Full name').fill(`Bench ${tag}`);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Confirm password').fill(password);
  await page.getByLabel('I have read the privacy notice').check();
  await page.getByRole('button', { name: 'Create account' }).click();
  const code = (await page.getByTestId('recovery-code').textContent({ timeout: 60_000 })) ?? '';
  await page.getByLabel('I have stored this code somewhere safe').check();
  await page.getByLabel('Type the last group of the code to confirm').fill(code.split('-').at(-1) ?? '');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('link', { name: 'Records', exact: true }).click();
  await page.getByRole('heading', { name: 'Your records' }).waitFor();
}

/** A file of random bytes on disk: the browser reads it from there, as it would a patient's file. */
async function randomFile(dir: string, name: string, bytes: number): Promise<string> {
  const file = path.join(dir, name);
  const handle = await open(file, 'w');
  for (let written = 0; written < bytes; written += 16 * MiB) await handle.write(randomBytes(Math.min(16 * MiB, bytes - written)));
  await handle.close();
  return file;
}

/** Through the portal's own upload: encrypt in the worker, PUT sealed segments, commit. Seconds. */
async function portalUpload(page: Page, file: string): Promise<number> {
  const name = path.basename(file);
  const started = performance.now();
  await page.locator('input[type=file]').setInputFiles(file);
  const row = page.getByTestId('upload-row').filter({ hasText: name });
  const ticker = setInterval(() => {
    row
      .getByTestId('upload-status')
      .textContent({ timeout: 1000 })
      .then(async (status) => {
        const memory = await processMemory();
        log(`  ${name}: ${status} (renderers ${(memory.renderer / MiB).toFixed(0)} MiB, browser ${(memory.browser / MiB).toFixed(0)} MiB)`);
      })
      .catch(() => undefined);
  }, 10_000);
  await row
    .and(page.locator('[data-phase=done], [data-phase=failed]'))
    .waitFor({ timeout: 900_000 })
    .finally(() => clearInterval(ticker));
  if ((await row.getAttribute('data-phase')) === 'failed') throw new Error(`Upload of ${name} failed: ${await row.textContent()}`);
  return (performance.now() - started) / 1000;
}

async function uploadRatio(page: Page, stack: RunningStack, workDir: string): Promise<Row[]> {
  log('Encrypt-and-upload against plain upload of 256 MiB…');
  const file = await randomFile(workDir, 'bench-256.bin', UPLOAD_BYTES);
  // The plain upload's URLs come from the same API for a user of its own (no keys are needed to PUT bytes).
  const plainUser = await registerUser({ baseUrl: stack.apiUrl, mail: stackMailbox(stack), ownerUrl: stack.databaseOwnerUrl });
  const encrypted: number[] = [];
  const plain: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    encrypted.push(await portalUpload(page, await copyName(file, `bench-256-${round}.bin`)));
    const presigned = await plainUser.client.send(ROUTES.presignUpload, { token: plainUser.token, body: { size: UPLOAD_BYTES } });
    plain.push(await plainUpload(page, file, presigned.body));
  }
  const e = median(encrypted);
  const p = median(plain);
  return [
    {
      measure: 'Upload 256 MiB (s, median of 3)',
      value: `${e.toFixed(2)} s encrypted (${(UPLOAD_BYTES / MiB / e).toFixed(0)} MiB/s)`,
      baseline: `${p.toFixed(2)} s plain (${(UPLOAD_BYTES / MiB / p).toFixed(0)} MiB/s)`,
      ratio: `${(e / p).toFixed(2)}× the time`,
    },
  ];
}

/** Playwright names an uploaded file by its path: a hard link gives each round its own name. */
async function copyName(file: string, name: string): Promise<string> {
  const { link } = await import('node:fs/promises');
  const target = path.join(path.dirname(file), name);
  await link(file, target);
  return target;
}

/** The same file's bytes PUT as they are, in the same segments, three at a time, from the page. Seconds. */
async function plainUpload(page: Page, file: string, presigned: PresignUploadResponse): Promise<number> {
  await page.evaluate(() => {
    const input = document.createElement('input');
    input.type = 'file';
    input.id = 'bench-plain';
    input.hidden = true;
    document.body.append(input);
  });
  await page.locator('#bench-plain').setInputFiles(file);
  const seconds = await page.evaluate(async ({ segments, segmentBytes }) => {
    const input = document.getElementById('bench-plain') as HTMLInputElement;
    const chosen = (input.files as FileList)[0];
    const started = performance.now();
    // Each URL takes exactly its segment's sealed size (Content-Length is signed): the plain bytes
    // from the segment's start, the last one padded with zeros (a few bytes per chunk).
    const queue = segments.map((segment, index) => {
      const bytes = chosen.slice(index * segmentBytes, index * segmentBytes + segment.byteLength);
      return { ...segment, body: new Blob([bytes, new Uint8Array(segment.byteLength - bytes.size)]) };
    });
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const response = await fetch(next.url, { method: 'PUT', body: next.body, headers: next.headers });
        if (!response.ok) throw new Error(`PUT ${response.status}`);
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    input.remove();
    return (performance.now() - started) / 1000;
  }, { segments: presigned.segments.map(({ url, headers, byteLength }) => ({ url, headers: headers ?? {}, byteLength })), segmentBytes: RECORD_CHUNK_BYTES * RECORD_CHUNKS_PER_SEGMENT });
  return seconds;
}

async function encryptionThroughput(page: Page): Promise<Row[]> {
  log('Encryption throughput against raw WebCrypto…');
  const figures = await page.evaluate(
    async ({ bytes, rounds }) => {
      // The portal's own module, served by the dev server exactly as the app loads it.
      const modulePath = '/src/crypto/record-stream.ts';
      // eslint-disable-next-line no-unsanitized/method -- a constant path; a variable only keeps TypeScript from resolving it
      const stream = (await import(/* @vite-ignore */ modulePath)) as typeof import('../../frontend/src/crypto/record-stream.js');
      const buffer = new Uint8Array(bytes);
      for (let offset = 0; offset < bytes; offset += 65_536) crypto.getRandomValues(buffer.subarray(offset, offset + 65_536));
      const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt']);
      const iv = new Uint8Array(12);
      const time = async (work: () => Promise<unknown>) => {
        const runs: number[] = [];
        for (let i = 0; i < rounds; i++) {
          const started = performance.now();
          await work();
          runs.push((performance.now() - started) / 1000);
        }
        return runs.sort((a, b) => a - b)[Math.floor(runs.length / 2)];
      };
      const mibPerSecond = (seconds: number) => bytes / 1024 / 1024 / seconds;

      const raw = await time(() => crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, buffer));
      const chunkBytes = 256 * 1024;
      const chunkCount = bytes / chunkBytes;
      const layout = { chunkCount, ciphertextBytes: 0, segments: [{ index: 0, byteLength: 0, firstChunk: 0, chunkCount }] };
      const file = new Blob([buffer]);
      const ours = await time(() => stream.encryptSegment(key, crypto.randomUUID(), file, layout, layout.segments[0], chunkBytes));
      const byChunk: Array<[number, number]> = [];
      for (const size of [64 * 1024, 256 * 1024, 512 * 1024, 1024 * 1024, 4 * 1024 * 1024, 16 * 1024 * 1024]) {
        const seconds = await time(async () => {
          for (let offset = 0; offset < bytes; offset += size) await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, buffer.subarray(offset, offset + size));
        });
        byChunk.push([size, mibPerSecond(seconds)]);
      }
      // What the record stream does besides AES-GCM: read the file through its stream, and hand sealed bytes to a Blob.
      const read = await time(async () => {
        const reader = file.stream().getReader();
        for (let next = await reader.read(); !next.done; next = await reader.read());
      });
      const build = await time(async () => {
        const parts: Uint8Array[] = [];
        for (let offset = 0; offset < bytes; offset += chunkBytes) parts.push(buffer.subarray(offset, offset + chunkBytes));
        new Blob(parts as BlobPart[]);
      });
      return { raw: mibPerSecond(raw), ours: mibPerSecond(ours), byChunk, read: mibPerSecond(read), build: mibPerSecond(build) };
    },
    { bytes: CRYPTO_BUFFER_BYTES, rounds: ROUNDS },
  );
  const best = Math.max(...figures.byChunk.map(([, speed]) => speed));
  return [
    {
      measure: 'Encrypt 64 MiB in the page (MiB/s, median of 3)',
      value: `${figures.ours.toFixed(0)} MiB/s record stream (256 KiB chunks, read from a Blob, sealed into a Blob)`,
      baseline: `${figures.raw.toFixed(0)} MiB/s one raw AES-GCM call`,
      ratio: `${(figures.ours / figures.raw).toFixed(2)}× the throughput`,
    },
    {
      measure: 'Read 64 MiB from a Blob through its stream',
      value: `${figures.read.toFixed(0)} MiB/s`,
      baseline: `${figures.raw.toFixed(0)} MiB/s one raw AES-GCM call`,
      ratio: `${(figures.read / figures.raw).toFixed(2)}×`,
    },
    {
      measure: 'Build a 64 MiB Blob from 256 KiB parts',
      value: `${figures.build.toFixed(0)} MiB/s`,
      baseline: `${figures.raw.toFixed(0)} MiB/s one raw AES-GCM call`,
      ratio: `${(figures.build / figures.raw).toFixed(2)}×`,
    },
    ...figures.byChunk.map(([size, speed]) => ({
      measure: `Raw AES-GCM in ${size / 1024} KiB calls`,
      value: `${speed.toFixed(0)} MiB/s`,
      baseline: `${best.toFixed(0)} MiB/s best chunk size`,
      ratio: `${(speed / best).toFixed(2)}×`,
    })),
  ];
}

async function memoryOfLargeUpload(page: Page, workDir: string): Promise<Row[]> {
  log('Renderer memory while a 1 GiB file is encrypted and uploaded…');
  const file = await randomFile(workDir, 'bench-1g.bin', MEMORY_FILE_BYTES);
  const before = await processMemory();
  let peak = before;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const now = await processMemory();
      peak = { renderer: Math.max(peak.renderer, now.renderer), browser: Math.max(peak.browser, now.browser) };
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const seconds = await portalUpload(page, file);
  sampling = false;
  await sampler;
  return [
    {
      measure: 'Renderer memory, 1 GiB file (resident, all renderer processes)',
      value: `${(peak.renderer / MiB).toFixed(0)} MiB peak during the upload (${seconds.toFixed(1)} s)`,
      baseline: `${(before.renderer / MiB).toFixed(0)} MiB before`,
      ratio: `+${((peak.renderer - before.renderer) / MiB).toFixed(0)} MiB = ${((peak.renderer - before.renderer) / MEMORY_FILE_BYTES).toFixed(3)}× the file`,
    },
    {
      measure: 'Browser process memory, same upload (holds Blob data)',
      value: `${(peak.browser / MiB).toFixed(0)} MiB peak`,
      baseline: `${(before.browser / MiB).toFixed(0)} MiB before`,
      ratio: `+${((peak.browser - before.browser) / MiB).toFixed(0)} MiB`,
    },
  ];
}

/** Resident memory of Chromium's processes, from /proc (Linux): renderers summed, and the browser process. */
async function processMemory(): Promise<{ renderer: number; browser: number }> {
  let renderer = 0;
  let browser = 0;
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes('chromium') && !cmdline.includes('chrome')) continue;
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    if (cmdline.includes('--type=renderer')) renderer += rss;
    else if (!cmdline.includes('--type=')) browser += rss;
  }
  return { renderer, browser };
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

function printTable(rows: Row[]): void {
  const lines = ['| Measure | This product | Baseline (same run) | Ratio |', '|---|---|---|---|', ...rows.map((row) => `| ${row.measure} | ${row.value} | ${row.baseline} | ${row.ratio} |`)];
  console.log(`\nRecords benchmark, ${new Date().toISOString()}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}\n`);
  console.log(lines.join('\n'));
}

function log(line: string): void {
  console.error(line);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
