/**
 * A closed-loop HTTP load for the benchmarks: `connections` callers on
 * keep-alive sockets, each sending its next request when the last one is
 * answered, for `seconds`. It runs in a worker thread so that the bench's own
 * event loop (and any baseline server living in it) does not share a thread
 * with the load, and reports throughput and latency percentiles.
 *
 * The figures are only ever compared with a baseline measured by the same
 * function in the same run (docs/benchmarks.md).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

export interface LoadSpec {
  /** http:// URL; one request shape per run. */
  url: string;
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  headers?: Record<string, string>;
  /** A JSON body sent with every request. */
  body?: unknown;
  /** Several request shapes taken in turn (round robin), overriding url/headers/body. */
  requests?: Array<{ url: string; method?: NonNullable<LoadSpec['method']>; headers?: Record<string, string>; body?: unknown }>;
  connections: number;
  seconds: number;
  /** Every answer must carry this status; any other fails the run. */
  expectStatus: number;
  /**
   * Sends each request as bytes prepared beforehand on plain keep-alive sockets and reads only
   * the status and Content-Length of each answer, instead of node:http's client, whose parser,
   * streams and agent cost ~0.2 ms of CPU per request here, on the two cores the product under
   * test also runs on (the sign-in bench, whose baseline has no load generator at all). Only for
   * answers with a Content-Length (not chunked ones), all from one host.
   */
  lean?: boolean;
}

export interface LoadResult {
  requests: number;
  perSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** CPU the load's own thread spent from its first request to its last answer (Linux: /proc/thread-self), starting the thread left out; null elsewhere. */
  loadCpuMs: number | null;
}

/** Runs one load in a worker thread and resolves with its figures. */
export function measureLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    // tsx's loader is per thread: the worker registers it before importing this file.
    const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(import.meta.url)}); })`;
    const worker = new Worker(boot, { eval: true, workerData: spec });
    worker.once('message', (message: { result?: LoadResult; error?: string }) => (message.error ? reject(new Error(message.error)) : resolve(message.result as LoadResult)));
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`load worker exited with ${code}`)));
  });
}

export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

interface Shape {
  url: URL;
  method: NonNullable<LoadSpec['method']>;
  headers: Record<string, string | number>;
  body: Buffer | undefined;
}

function shapesOf(spec: LoadSpec): Shape[] {
  return (spec.requests ?? [{ url: spec.url, method: spec.method, headers: spec.headers, body: spec.body }]).map((shape) => {
    const body = shape.body === undefined ? undefined : Buffer.from(JSON.stringify(shape.body));
    const headers: Record<string, string | number> = { ...shape.headers };
    if (body) Object.assign(headers, { 'content-type': 'application/json', 'content-length': body.length });
    return { url: new URL(shape.url), method: shape.method ?? 'GET', headers, body };
  });
}

function resultOf(latencies: number[], started: number, startCpuMs: number | null): LoadResult {
  const elapsed = (performance.now() - started) / 1000;
  const endCpuMs = threadCpuMs();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    perSecond: latencies.length / elapsed,
    p50Ms: percentile(latencies, 0.5),
    p95Ms: percentile(latencies, 0.95),
    p99Ms: percentile(latencies, 0.99),
    loadCpuMs: startCpuMs === null || endCpuMs === null ? null : endCpuMs - startCpuMs,
  };
}

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU (user and system) this thread has spent, from /proc/thread-self/stat (in clock ticks, USER_HZ, 100 on Linux); null where there is none. */
function threadCpuMs(): number | null {
  try {
    const fields = readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  if (spec.lean) return runLeanLoad(spec);
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.connections });
  const shapes = shapesOf(spec);
  let next = 0;
  const once = () =>
    new Promise<number>((resolve, reject) => {
      const shape = shapes[next++ % shapes.length];
      const began = performance.now();
      const request = http.request(shape.url, { method: shape.method, headers: shape.headers, agent }, (response) => {
        response.resume();
        response.once('end', () => {
          if (response.statusCode !== spec.expectStatus) reject(new Error(`${shape.method} ${shape.url.pathname} answered ${response.statusCode}`));
          else resolve(performance.now() - began);
        });
      });
      request.once('error', reject);
      request.end(shape.body);
    });
  const latencies: number[] = [];
  const end = performance.now() + spec.seconds * 1000;
  const caller = async () => {
    while (performance.now() < end) latencies.push(await once());
  };
  const [started, startCpuMs] = [performance.now(), threadCpuMs()];
  await Promise.all(Array.from({ length: spec.connections }, caller));
  agent.destroy();
  return resultOf(latencies, started, startCpuMs);
}

/** LoadSpec.lean: the same closed loop on plain sockets, each request's bytes made once. */
async function runLeanLoad(spec: LoadSpec): Promise<LoadResult> {
  const shapes = shapesOf(spec);
  const { hostname, port } = shapes[0].url;
  const messages = shapes.map(({ url, method, headers, body }) => {
    if (url.host !== shapes[0].url.host) throw new Error('a lean load sends every request to one host');
    const lines = [`${method} ${url.pathname}${url.search} HTTP/1.1`, `host: ${url.host}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
    const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`);
    return { label: `${method} ${url.pathname}`, bytes: body ? Buffer.concat([head, body]) : head };
  });
  let next = 0;
  const latencies: number[] = [];
  const end = performance.now() + spec.seconds * 1000;
  const caller = async () => {
    const connection = await openConnection(hostname, Number(port));
    try {
      while (performance.now() < end) {
        const message = messages[next++ % messages.length];
        const began = performance.now();
        const status = await connection.send(message.bytes);
        if (status !== spec.expectStatus) throw new Error(`${message.label} answered ${status}`);
        latencies.push(performance.now() - began);
      }
    } finally {
      connection.close();
    }
  };
  const [started, startCpuMs] = [performance.now(), threadCpuMs()];
  await Promise.all(Array.from({ length: spec.connections }, caller));
  return resultOf(latencies, started, startCpuMs);
}

interface LeanConnection {
  /** Writes one request and resolves with its answer's status once the whole answer has arrived. */
  send(bytes: Buffer): Promise<number>;
  close(): void;
}

const HEAD_END = Buffer.from('\r\n\r\n');

function openConnection(host: string, port: number): Promise<LeanConnection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true });
    let pending: Buffer = Buffer.alloc(0);
    let waiting: { resolve: (status: number) => void; reject: (error: Error) => void } | null = null;
    const fail = (error: Error) => {
      waiting?.reject(error);
      waiting = null;
    };
    /** The status of the answer at the start of `pending`, once all of it is there (it is then taken off). */
    const takeAnswer = (): number | null => {
      const headEnd = pending.indexOf(HEAD_END);
      if (headEnd < 0) return null;
      const head = pending.toString('latin1', 0, headEnd);
      if (/\r\ntransfer-encoding:/i.test(head)) throw new Error('a lean load reads only answers with a Content-Length');
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      const total = headEnd + HEAD_END.length + length;
      if (pending.length < total) return null;
      pending = pending.subarray(total);
      return Number(head.slice(9, 12));
    };
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      try {
        const status = takeAnswer();
        if (status === null || !waiting) return;
        const { resolve: answer } = waiting;
        waiting = null;
        answer(status);
      } catch (error) {
        fail(error as Error);
      }
    });
    socket.once('error', (error) => {
      reject(error);
      fail(error);
    });
    socket.once('close', () => fail(new Error('the server closed a keep-alive connection')));
    socket.once('connect', () =>
      resolve({
        send: (bytes) =>
          new Promise<number>((answer, refuse) => {
            waiting = { resolve: answer, reject: refuse };
            socket.write(bytes);
          }),
        close: () => socket.destroy(),
      }),
    );
  });
}

if (!isMainThread && parentPort && (workerData as LoadSpec | undefined)?.connections) {
  const port = parentPort;
  runLoad(workerData as LoadSpec).then(
    (result) => port.postMessage({ result }),
    (error: unknown) => port.postMessage({ error: error instanceof Error ? error.message : String(error) }),
  );
}
