/**
 * The browser's side of `npm run bench` (issue 14): the record stream against
 * the raw AES-GCM limit of the same page, the portal's encrypt-and-upload
 * against a plain upload of the same bytes, and the renderer's memory while a
 * 1 GiB file is encrypted and uploaded. Memory counts only the processes of
 * the bench's own browser: the process tree under the Chromium started with
 * the bench's own profile directory (other Chromiums on the machine are not
 * counted).
 */
import { randomBytes } from 'node:crypto';
import { link, mkdtemp, open, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { RECORD_CHUNK_BYTES, RECORD_CHUNKS_PER_SEGMENT, ROUTES, type PresignUploadResponse } from '@phr/shared-types';
import { registerUser } from '@phr/backend/test-support/factories.js';
import type { ApiBenchRow } from './api-bench.js';
import { linkIn } from '../local/mail/mailbox.js';
import { stackMailbox, type RunningStack } from '../local/stack.js';

const MiB = 1024 * 1024;
const UPLOAD_BYTES = 256 * MiB;
const MEMORY_FILE_BYTES = 1024 * MiB;
const CRYPTO_BUFFER_BYTES = 64 * MiB;
const UPLOAD_ROUNDS = 3;
const CRYPTO_ROUNDS = 5;
/** How often the memory row keeps a sample to show its course (the peak is sampled every 100 ms). */
const MEMORY_SAMPLE_SECONDS = 2;
/** Samples shown in the memory rows (evenly spaced; the peak is over all of them). */
const COURSE_POINTS = 16;
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The bench's own Chromium, with a profile directory no other browser has, so its processes can be told apart. */
export interface BenchBrowser {
  context: BrowserContext;
  page: Page;
  /** Resident memory of this browser's processes only. */
  memory(): Promise<ProcessMemory>;
  /** A new page at the portal, for a part that must not inherit the heap of another part's work (the caller closes it). */
  freshPage(): Promise<Page>;
  close(): Promise<void>;
}

export interface ProcessMemory {
  /** The renderer processes (the page and its crypto worker), summed. */
  renderer: number;
  /** The browser process (it holds Blob data). */
  browser: number;
}

/** A page action of a measure (a 1 GiB upload on a slow machine) may take minutes. */
const MEASURE_STEP_MS = 600_000;
/**
 * A registration's page actions take seconds; one that waits longer fails the run saying which.
 * A run once stopped at the registration with an idle CPU and would have waited ten minutes a step.
 */
const REGISTRATION_STEP_MS = 90_000;

export async function launchBenchBrowser(workDir: string): Promise<BenchBrowser> {
  const profile = await mkdtemp(path.join(workDir, 'bench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  const prepare = async (page: Page) => {
    page.setDefaultTimeout(MEASURE_STEP_MS);
    // tsx keeps function names with a helper the page does not have; the functions passed to evaluate() need it.
    await page.addInitScript({ content: 'globalThis.__name = (fn) => fn;' });
    return page;
  };
  const page = await prepare(context.pages()[0] ?? (await context.newPage()));
  const browserPid = await pidWithArgument(`--user-data-dir=${profile}`);
  const freshPage = async () => {
    const fresh = await prepare(await context.newPage());
    await fresh.goto(page.url());
    return fresh;
  };
  return { context, page, memory: () => treeMemory(browserPid), freshPage, close: () => context.close() };
}

/** The browser process: the one started with `argument` that is not a child process type (renderer, zygote, …). */
async function pidWithArgument(argument: string): Promise<number> {
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (args.includes(argument) && !args.some((arg) => arg.startsWith('--type='))) return Number(pid);
  }
  throw new Error(`No browser process was started with ${argument}`);
}

/** Resident memory of `root` (the browser process) and of its renderers, found by walking the parent links in /proc (Linux). */
async function treeMemory(root: number): Promise<ProcessMemory> {
  const parents = new Map<number, number>();
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // Fields after the command name, which is in parentheses and may hold spaces: state, ppid, …
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid) parents.set(Number(pid), ppid);
  }
  const isOurs = (pid: number): boolean => {
    for (let at: number | undefined = pid; at !== undefined; at = parents.get(at)) if (at === root) return true;
    return false;
  };
  let renderer = 0;
  let browser = 0;
  for (const pid of parents.keys()) {
    if (!isOurs(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    if (cmdline.includes('--type=renderer')) renderer += rss;
    else if (pid === root) browser += rss;
  }
  return { renderer, browser };
}

/** A file of random bytes on disk: the browser reads it from there, as it would a patient's file. */
export async function randomFile(dir: string, name: string, bytes: number): Promise<string> {
  const file = path.join(dir, name);
  const handle = await open(file, 'w');
  for (let written = 0; written < bytes; written += 16 * MiB) await handle.write(randomBytes(Math.min(16 * MiB, bytes - written)));
  await handle.close();
  return file;
}

/** Through the portal's own upload: encrypt in the worker, PUT sealed segments, commit. Seconds. */
export async function portalUpload(bench: BenchBrowser, file: string): Promise<number> {
  const { page } = bench;
  const name = path.basename(file);
  // Timed in the page, as the plain upload is: from the file input's change to the row's phase turning done or failed,
  // seen by a MutationObserver. Waiting for the row from here polls, and the polling's interval (up to half a
  // second) used to be counted in the encrypted upload's time.
  await page.evaluate((fileName) => {
    const timing: { started: number; ended: number; phase: string; text: string } = { started: 0, ended: 0, phase: '', text: '' };
    Object.assign(window, { benchUpload: timing });
    document.addEventListener('change', () => (timing.started = performance.now()), { capture: true, once: true });
    const observer = new MutationObserver(() => {
      for (const row of document.querySelectorAll('[data-testid=upload-row]')) {
        const phase = row.getAttribute('data-phase') ?? '';
        if (!row.textContent?.includes(fileName) || (phase !== 'done' && phase !== 'failed')) continue;
        Object.assign(timing, { ended: performance.now(), phase, text: row.textContent });
        observer.disconnect();
      }
    });
    observer.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-phase'] });
  }, name);
  await page.locator('input[type=file]').setInputFiles(file);
  await page.waitForFunction(() => (window as unknown as { benchUpload: { ended: number } }).benchUpload.ended > 0, undefined, { timeout: 900_000 });
  const timing = await page.evaluate(() => (window as unknown as { benchUpload: { started: number; ended: number; phase: string; text: string } }).benchUpload);
  if (timing.phase === 'failed') throw new Error(`Upload of ${name} failed: ${timing.text}`);
  return (timing.ended - timing.started) / 1000;
}

/** Encrypt-and-upload of 256 MiB through the portal against a plain upload of the same bytes, same store, same parallelism; rounds interleaved. */
export async function uploadRatio(bench: BenchBrowser, stack: RunningStack, workDir: string): Promise<ApiBenchRow[]> {
  log('Encrypt-and-upload against plain upload of 256 MiB…');
  const file = await randomFile(workDir, 'bench-256.bin', UPLOAD_BYTES);
  // The plain upload's URLs come from the same API for a user of its own (no keys are needed to PUT bytes).
  const plainUser = await registerUser({ baseUrl: stack.apiUrl, mail: stackMailbox(stack), ownerUrl: stack.databaseOwnerUrl });
  const encrypted: number[] = [];
  const plain: number[] = [];
  for (let round = 0; round < UPLOAD_ROUNDS; round++) {
    encrypted.push(await portalUpload(bench, await linkedName(file, `bench-256-${round}.bin`)));
    const presigned = await plainUser.client.send(ROUTES.presignUpload, { token: plainUser.token, body: { size: UPLOAD_BYTES } });
    plain.push(await plainUpload(bench.page, file, presigned.body));
    log(`  round ${round + 1}: encrypted ${encrypted[round].toFixed(2)} s, plain ${plain[round].toFixed(2)} s`);
  }
  const e = median(encrypted);
  const p = median(plain);
  return [
    {
      measure: `Encrypt-and-upload 256 MiB against a plain upload (s, median of ${UPLOAD_ROUNDS} interleaved)`,
      value: `${e.toFixed(2)} s encrypted (${(UPLOAD_BYTES / MiB / e).toFixed(0)} MiB/s)`,
      baseline: `${p.toFixed(2)} s plain (${(UPLOAD_BYTES / MiB / p).toFixed(0)} MiB/s)`,
      ratio: `${(e / p).toFixed(2)}× the time`,
    },
  ];
}

/** Playwright names an uploaded file by its path: a hard link gives each round its own name. */
export async function linkedName(file: string, name: string): Promise<string> {
  const target = path.join(path.dirname(file), name);
  await link(file, target);
  return target;
}

/** The same file's bytes PUT as they are, in the same segments, three at a time, from the page. Seconds. */
export async function plainUpload(page: Page, file: string, presigned: PresignUploadResponse): Promise<number> {
  await page.evaluate(() => {
    const input = document.createElement('input');
    input.type = 'file';
    input.id = 'bench-plain';
    input.hidden = true;
    document.body.append(input);
  });
  await page.locator('#bench-plain').setInputFiles(file);
  return page.evaluate(
    async ({ segments, segmentBytes }) => {
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
    },
    { segments: presigned.segments.map(({ url, headers, byteLength }) => ({ url, headers: headers ?? {}, byteLength })), segmentBytes: RECORD_CHUNK_BYTES * RECORD_CHUNKS_PER_SEGMENT },
  );
}

interface StreamMeasureArgs {
  bytes: number;
  rounds: number;
  /** record-stream.ts as the portal's dev server serves it. */
  moduleUrl: string;
}

/**
 * The record stream's figures in one JavaScript context (the page's main thread, or a dedicated
 * worker): self-contained, since it is sent to the browser as source.
 */
const measureStream = async ({ bytes, rounds, moduleUrl }: StreamMeasureArgs) => {
  // The portal's own module, served by the dev server exactly as the app loads it.
  // eslint-disable-next-line no-unsanitized/method -- the dev server's own URL of the module; a variable only keeps TypeScript from resolving it
  const stream = (await import(/* @vite-ignore */ moduleUrl)) as typeof import('../../frontend/src/crypto/record-stream.js');
  const buffer = new Uint8Array(bytes);
  for (let offset = 0; offset < bytes; offset += 65_536) crypto.getRandomValues(buffer.subarray(offset, offset + 65_536));
  const file = new Blob([buffer]);
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt']);
  const iv = new Uint8Array(12);
  /**
   * A step still running after this long fails the part with its name: a run once stopped at the stream's first
   * measure with an idle CPU, and without a ceiling it waited for ever and said nowhere where.
   */
  const STEP_CEILING_MS = 300_000;
  let round = 0;
  const withinCeiling = async <T>(step: string, work: Promise<T>): Promise<T> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ceiling = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the bench's step "${step}" (${round < rounds ? `round ${round + 1}` : 'after the rounds'}) had not finished after ${STEP_CEILING_MS / 1000} s`)), STEP_CEILING_MS);
    });
    try {
      return await Promise.race([work, ceiling]);
    } finally {
      clearTimeout(timer);
    }
  };
  const seconds = async (step: string, work: () => Promise<unknown>) => {
    const started = performance.now();
    await withinCeiling(step, work());
    return (performance.now() - started) / 1000;
  };
  /** Raw AES-GCM over the buffer in `size`-byte calls, `inFlight` at once. */
  const raw = (size: number, inFlight: number) => async () => {
    let next = 0;
    const caller = async () => {
      for (let offset = next; offset < bytes; offset = next) {
        next += size;
        await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, buffer.subarray(offset, offset + size));
      }
    };
    await Promise.all(Array.from({ length: inFlight }, caller));
  };
  const chunkBytes = 256 * 1024;
  const chunkCount = bytes / chunkBytes;
  const layout = { chunkCount, ciphertextBytes: 0, segments: [{ index: 0, byteLength: 16 + bytes + chunkCount * 16, firstChunk: 0, chunkCount }] };
  const runs: Record<string, number[]> = { raw16: [], raw32: [], raw1: [], stream: [], sealed: [], read: [], pieces: [], build: [], buildNew: [], insideCall: [] };
  /**
   * Until the browser holds all of the Blob: reading its last byte waits for that. `new Blob(parts)` returns before the bytes
   * have reached the browser process, and the rest of the hand-over would otherwise be charged to whatever is timed next.
   */
  const ready = async (blob: Blob) => {
    await blob.slice(blob.size - 1).arrayBuffer();
  };
  const sealed: ArrayBuffer[] = [];
  for (let offset = 0; offset < bytes; offset += chunkBytes) sealed.push(buffer.slice(offset, offset + chunkBytes).buffer);
  for (; round < rounds; round++) {
    runs.raw16.push(await seconds('raw AES-GCM, 16 in flight', raw(chunkBytes, 16)));
    runs.stream.push(await seconds('encryptSegment until the browser holds its Blob', async () => ready(await stream.encryptSegment(key, crypto.randomUUID(), file, layout, layout.segments[0], chunkBytes))));
    // The same without the Blob: read and seal only (sealSegment, the sealed chunks as WebCrypto returned them).
    runs.sealed.push(await seconds('sealSegment', () => stream.sealSegment(key, crypto.randomUUID(), file, layout, layout.segments[0], chunkBytes)));
    runs.raw32.push(await seconds('raw AES-GCM, 32 in flight', raw(chunkBytes, 32)));
    runs.raw1.push(await seconds('raw AES-GCM, one at a time', raw(chunkBytes, 1)));
    // Where WebCrypto does the work: the share of the time spent before the last of 256 calls returned (1 = all of it inside the calls).
    const dispatched = performance.now();
    const calls: Promise<ArrayBuffer>[] = [];
    for (let offset = 0; offset < bytes; offset += chunkBytes) calls.push(crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, buffer.subarray(offset, offset + chunkBytes)));
    const returned = performance.now();
    await withinCeiling('256 AES-GCM calls dispatched at once', Promise.all(calls));
    runs.insideCall.push((returned - dispatched) / (performance.now() - dispatched));
    // What the stream does besides AES-GCM: read the Blob through a BYOB reader of its stream into 4 MiB buffers, and make the sealed chunks one Blob.
    const byobRead = async () => {
      const reader = file.stream().getReader({ mode: 'byob' });
      let target = new ArrayBuffer(4 * 1024 * 1024);
      for (let filled = 0; ; ) {
        const { value, done } = await reader.read(new Uint8Array(target, filled, target.byteLength - filled));
        if (value) target = value.buffer;
        if (done) break;
        filled = (filled + value.byteLength) % target.byteLength;
      }
    };
    // How it read before: the default reader, each piece copied into a 4 MiB buffer.
    const piecesRead = async () => {
      const reader = file.stream().getReader();
      const target = new Uint8Array(4 * 1024 * 1024);
      let filled = 0;
      for (let read = await reader.read(); !read.done; read = await reader.read()) {
        for (let taken = 0; taken < read.value.byteLength; ) {
          const count = Math.min(read.value.byteLength - taken, target.byteLength - filled);
          target.set(read.value.subarray(taken, taken + count), filled);
          taken += count;
          filled = (filled + count) % target.byteLength;
        }
      }
    };
    /** Times two measures one after the other, taking turns at going first, so neither always follows the same work. */
    const inTurn = async (...pair: Array<[step: string, times: number[], work: () => Promise<unknown>]>) => {
      for (const [step, times, work] of round % 2 === 0 ? pair : pair.reverse()) times.push(await seconds(step, work));
    };
    // The two reads: neither always follows the AES-GCM runs (and the garbage collection they leave).
    await inTurn(['BYOB read', runs.read, byobRead], ['default reader', runs.pieces, piecesRead]);
    // The stream's Blob, and the way it was made before (the Blob constructor), each until the browser holds it.
    // The stream's Blob (a Blob of each 16 chunks, as each read's come out, joined), and one made by the browser from a
    // stream of the chunks (how the stream made it from 2026-12-06 to 2026-12-07), each until the browser holds it.
    const ofReads = async () => {
      const pieces: Blob[] = [];
      for (let part = 0; part < sealed.length; part += 16) pieces.push(new Blob(sealed.slice(part, part + 16)));
      await ready(new Blob(pieces));
    };
    const ofStream = async () => {
      const chunks = new ReadableStream<Uint8Array>({
        start(controller) {
          for (const part of sealed) controller.enqueue(new Uint8Array(part));
          controller.close();
        },
      });
      await ready(await new Response(chunks).blob());
    };
    await inTurn(['Blob of each 16 chunks', runs.build, ofReads], ['Blob from a stream of the chunks', runs.buildNew, ofStream]);
  }
  const byChunk: Array<[number, number]> = [];
  for (const size of [64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024]) byChunk.push([size, await seconds(`raw AES-GCM, ${size / 1024} KiB calls`, raw(size, 16))]);
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const mibPerSecond = (s: number) => bytes / 1024 / 1024 / s;
  return {
    raw16: mibPerSecond(median(runs.raw16)),
    raw32: mibPerSecond(median(runs.raw32)),
    stream: mibPerSecond(median(runs.stream)),
    sealed: mibPerSecond(median(runs.sealed)),
    read: mibPerSecond(median(runs.read)),
    raw1: mibPerSecond(median(runs.raw1)),
    pieces: mibPerSecond(median(runs.pieces)),
    insideCall: median(runs.insideCall),
    build: mibPerSecond(median(runs.build)),
    buildNew: mibPerSecond(median(runs.buildNew)),
    byChunk: byChunk.map(([size, s]) => [size, mibPerSecond(s)] as [number, number]),
  };
};

type StreamFigures = Awaited<ReturnType<typeof measureStream>>;

/**
 * The record stream (`encryptSegment`: read a 64 MiB Blob, seal it in 256 KiB
 * chunks, the sealed Blob, until the browser holds it) against the raw AES-GCM
 * limit in the same context:
 * 256 KiB calls on a buffer already in memory, 16 and 32 in flight (the faster
 * is the limit; Chromium does the work inside each call, so one at a time is
 * timed too). Then the stream's parts alone. Rounds interleaved, medians. The
 * context is a dedicated module worker, as the portal's crypto worker that
 * seals every upload (crypto/vault.ts); the stream and its limit are also
 * measured on the page's main thread, where this bench measured them before,
 * for comparison.
 */
export async function encryptionThroughput(page: Page): Promise<ApiBenchRow[]> {
  log('Record stream against the raw AES-GCM limit, in a dedicated worker and in the page…');
  const args: StreamMeasureArgs = { bytes: CRYPTO_BUFFER_BYTES, rounds: CRYPTO_ROUNDS, moduleUrl: new URL('/src/crypto/record-stream.ts', page.url()).toString() };
  const figures = await page.evaluate(
    async ({ source, args }) => {
      // tsx's helper for function names, as the bench's pages get it (launchBenchBrowser).
      const code = `globalThis.__name = (fn) => fn;\nconst measure = ${source};\nonmessage = async (event) => {\n  try { postMessage({ figures: await measure(event.data) }); } catch (error) { postMessage({ error: String(error) }); }\n};\n`;
      const url = URL.createObjectURL(new Blob([code], { type: 'text/javascript' }));
      const worker = new Worker(url, { type: 'module', name: 'bench-stream' });
      try {
        return await new Promise<StreamFigures>((resolve, reject) => {
          worker.onmessage = (event: MessageEvent<{ figures?: StreamFigures; error?: string }>) => (event.data.figures ? resolve(event.data.figures) : reject(new Error(event.data.error)));
          worker.onerror = (event) => reject(new Error(`the bench's worker failed: ${event.message}`));
          worker.postMessage(args);
        });
      } finally {
        worker.terminate();
        URL.revokeObjectURL(url);
      }
    },
    { source: measureStream.toString(), args },
  );
  const inPage = await page.evaluate(measureStream, args);
  const limit = Math.max(figures.raw16, figures.raw32);
  const pageLimit = Math.max(inPage.raw16, inPage.raw32);
  const limitText = `${limit.toFixed(0)} MiB/s raw AES-GCM, 256 KiB calls, ${figures.raw16 >= figures.raw32 ? 16 : 32} in flight (16: ${figures.raw16.toFixed(0)}, 32: ${figures.raw32.toFixed(0)})`;
  const best = Math.max(...figures.byChunk.map(([, speed]) => speed));
  return [
    {
      measure: `Record stream, 64 MiB in a dedicated worker, as the portal's crypto worker (MiB/s, median of ${CRYPTO_ROUNDS} interleaved)`,
      value: `${figures.stream.toFixed(0)} MiB/s encryptSegment (read from a Blob, 256 KiB chunks, sealed into a Blob the browser holds)`,
      baseline: limitText,
      ratio: `${(figures.stream / limit).toFixed(2)}× the limit`,
    },
    {
      measure: `The same on the page's main thread (where the bench measured before 2026-12-06; the portal does not seal there)`,
      value: `${inPage.stream.toFixed(0)} MiB/s encryptSegment; read and seal, no Blob, ${inPage.sealed.toFixed(0)} MiB/s`,
      baseline: `${pageLimit.toFixed(0)} MiB/s raw AES-GCM on the page's thread, 256 KiB calls`,
      ratio: `${(inPage.stream / pageLimit).toFixed(2)}× the limit (no Blob ${(inPage.sealed / pageLimit).toFixed(2)}×)`,
    },
    {
      measure: 'Read and seal 64 MiB, no Blob (sealSegment: the record stream without its last part)',
      value: `${figures.sealed.toFixed(0)} MiB/s`,
      baseline: `${limit.toFixed(0)} MiB/s raw AES-GCM limit`,
      ratio: `${(figures.sealed / limit).toFixed(2)}×`,
    },
    {
      measure: 'Read 64 MiB from a Blob through a BYOB reader of its stream into 4 MiB buffers (part of the stream)',
      value: `${figures.read.toFixed(0)} MiB/s`,
      baseline: `${limit.toFixed(0)} MiB/s raw AES-GCM limit`,
      ratio: `${(figures.read / limit).toFixed(2)}×`,
    },
    {
      measure: 'Read 64 MiB through the default reader of its stream, pieces copied into 4 MiB buffers (how the stream read before)',
      value: `${figures.pieces.toFixed(0)} MiB/s`,
      baseline: `${figures.read.toFixed(0)} MiB/s through a BYOB reader`,
      ratio: `${(figures.pieces / figures.read).toFixed(2)}×`,
    },
    {
      measure: 'One Blob from 256 sealed 256 KiB chunks, a Blob of each 16 joined, until the browser holds it (part of the stream)',
      value: `${figures.build.toFixed(0)} MiB/s`,
      baseline: `${limit.toFixed(0)} MiB/s raw AES-GCM limit`,
      ratio: `${(figures.build / limit).toFixed(2)}×`,
    },
    {
      measure: 'The same Blob made by the browser from a stream of the chunks (how the stream made it before 2026-12-07), until the browser holds it',
      value: `${figures.buildNew.toFixed(0)} MiB/s`,
      baseline: `${figures.build.toFixed(0)} MiB/s a Blob of each 16 chunks, joined`,
      ratio: `${(figures.buildNew / figures.build).toFixed(2)}×`,
    },
    {
      measure: 'Raw AES-GCM in 256 KiB calls, one at a time (several in flight gain nothing when the work is done inside the call)',
      value: `${figures.raw1.toFixed(0)} MiB/s`,
      baseline: `${limit.toFixed(0)} MiB/s with 16 or 32 in flight`,
      ratio: `${(figures.raw1 / limit).toFixed(2)}×`,
    },
    {
      measure: 'Share of 256 AES-GCM calls’ time spent before the last call returned (1: WebCrypto does the work inside the call, on the calling thread)',
      value: figures.insideCall.toFixed(2),
      baseline: '0 if the work were done off the thread',
      ratio: `${figures.insideCall.toFixed(2)}`,
    },
    ...figures.byChunk.map(([size, speed]) => ({
      measure: `Raw AES-GCM in ${size / 1024} KiB calls, 16 in flight`,
      value: `${speed.toFixed(0)} MiB/s`,
      baseline: `${best.toFixed(0)} MiB/s best chunk size`,
      ratio: `${(speed / best).toFixed(2)}×`,
    })),
  ];
}

/** The renderers' resident memory while the portal encrypts and uploads a 1 GiB file: the peak, and samples over time to show its course. */
export async function memoryOfLargeUpload(bench: BenchBrowser, workDir: string): Promise<ApiBenchRow[]> {
  log('Renderer memory while a 1 GiB file is encrypted and uploaded…');
  const file = await randomFile(workDir, 'bench-1g.bin', MEMORY_FILE_BYTES);
  const before = await bench.memory();
  let peak = before;
  const samples: Array<ProcessMemory & { seconds: number }> = [];
  const started = performance.now();
  let sampling = true;
  const sampler = (async () => {
    let nextSample = performance.now();
    while (sampling) {
      const now = await bench.memory();
      peak = { renderer: Math.max(peak.renderer, now.renderer), browser: Math.max(peak.browser, now.browser) };
      if (performance.now() >= nextSample) {
        samples.push({ ...now, seconds: (performance.now() - started) / 1000 });
        nextSample += MEMORY_SAMPLE_SECONDS * 1000;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const seconds = await portalUpload(bench, file);
  sampling = false;
  await sampler;
  const mib = (bytes: number) => (bytes / MiB).toFixed(0);
  // At most COURSE_POINTS samples, evenly spaced over the upload, with the time each was taken.
  const shown = samples.filter((_, i) => samples.length <= COURSE_POINTS || i % Math.ceil(samples.length / COURSE_POINTS) === 0 || i === samples.length - 1);
  const course = (pick: (memory: ProcessMemory) => number) => shown.map((sample) => `${sample.seconds.toFixed(0)} s ${mib(pick(sample))}`).join(', ');
  return [
    {
      measure: 'Renderer memory, 1 GiB encrypt-and-upload (resident, this browser’s renderers)',
      value: `${mib(peak.renderer)} MiB peak over ${seconds.toFixed(1)} s; at: ${course((memory) => memory.renderer)}`,
      baseline: `${mib(before.renderer)} MiB before`,
      ratio: `+${mib(peak.renderer - before.renderer)} MiB = ${((peak.renderer - before.renderer) / MEMORY_FILE_BYTES).toFixed(3)}× the file`,
    },
    {
      measure: 'Browser process memory, same upload (holds Blob data)',
      value: `${mib(peak.browser)} MiB peak; at: ${course((memory) => memory.browser)}`,
      baseline: `${mib(before.browser)} MiB before`,
      ratio: `+${mib(peak.browser - before.browser)} MiB`,
    },
  ];
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

function log(line: string): void {
  console.error(line);
}

/** As a person registers: the email, the link from the mail (the stack's SMTP server keeps it), then the form. */
export async function registerPatient(page: Page, stack: RunningStack): Promise<void> {
  const tag = randomBytes(4).toString('hex');
  const email = `bench-${tag}@example.org`;
  const password = `bench lantern orbit ${tag} marsh`;
  const step = async (name: string, work: () => Promise<unknown>) => {
    await work().catch((error: unknown) => {
      throw new Error(`the bench's registration stopped at "${name}": ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    });
  };
  page.setDefaultTimeout(REGISTRATION_STEP_MS);
  try {
    await step('ask for the link', async () => {
      await page.goto(new URL('/register', stack.portalUrl).toString());
      await page.getByRole('radio', { name: 'Patient' }).check();
      await page.getByLabel('Email').fill(email);
      await page.getByRole('button', { name: 'Email me a link' }).click();
      await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
    });
    await step('open the link from the mail', async () => page.goto(linkIn(await stackMailbox(stack).next(email)) ?? ''));
    let code = '';
    await step('create the account', async () => {
      await page.getByLabel('Full name').fill(`Bench ${tag}`);
      await page.getByLabel('Password', { exact: true }).fill(password);
      await page.getByLabel('Confirm password').fill(password);
      await page.getByLabel('I have read the privacy notice').check();
      await page.getByRole('button', { name: 'Create account' }).click();
      code = (await page.getByTestId('recovery-code').textContent()) ?? '';
    });
    await step('confirm the recovery code', async () => {
      await page.getByLabel('I have stored this code somewhere safe').check();
      await page.getByLabel('Type the last group of the code to confirm').fill(code.split('-').at(-1) ?? '');
      await page.getByRole('button', { name: 'Continue' }).click();
    });
    await step('open the records page', async () => {
      await page.getByRole('link', { name: 'Records', exact: true }).click();
      await page.getByRole('heading', { name: 'Your records' }).waitFor();
    });
  } finally {
    page.setDefaultTimeout(MEASURE_STEP_MS);
  }
}
