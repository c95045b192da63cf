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
import http from 'node:http';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

export interface LoadSpec {
  /** http:// URL; one request shape per run. */
  url: string;
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  headers?: Record<string, string>;
  /** A JSON body sent with every request. */
  body?: unknown;
  /** Several request shapes taken in turn (round robin), overriding url/headers/body. */
  requests?: Array<{ url: string; method?: LoadSpec['method']; headers?: Record<string, string>; body?: unknown }>;
  connections: number;
  seconds: number;
  /** Every answer must carry this status; any other fails the run. */
  expectStatus: number;
}

export interface LoadResult {
  requests: number;
  perSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
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

async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.connections });
  const shapes = (spec.requests ?? [{ url: spec.url, method: spec.method, headers: spec.headers, body: spec.body }]).map((shape) => {
    const body = shape.body === undefined ? undefined : Buffer.from(JSON.stringify(shape.body));
    const headers: Record<string, string | number> = { ...shape.headers };
    if (body) Object.assign(headers, { 'content-type': 'application/json', 'content-length': body.length });
    return { url: new URL(shape.url), method: shape.method ?? 'GET', headers, body };
  });
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
  const started = performance.now();
  await Promise.all(Array.from({ length: spec.connections }, caller));
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, perSecond: latencies.length / elapsed, p50Ms: percentile(latencies, 0.5), p95Ms: percentile(latencies, 0.95), p99Ms: percentile(latencies, 0.99) };
}

if (!isMainThread && parentPort && (workerData as LoadSpec | undefined)?.connections) {
  const port = parentPort;
  runLoad(workerData as LoadSpec).then(
    (result) => port.postMessage({ result }),
    (error: unknown) => port.postMessage({ error: error instanceof Error ? error.message : String(error) }),
  );
}
