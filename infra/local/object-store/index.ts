// The backend and portal test projects import this file without infra/tsconfig.json, so the
// s3rver typings travel with it as a reference (an `import` of a .d.ts is not allowed).
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./s3rver.d.ts" />
/**
 * The embedded S3-compatible store used when no S3 is configured.
 *
 * s3rver stores the objects but checks no signature: anyone who can reach it can read or
 * write anything. So it listens on a random port on 127.0.0.1, and the public port belongs
 * to a proxy that verifies AWS Signature Version 4 (header or presigned URL) first.
 * See docs in sigv4.ts for what is checked, and proxy.ts for how requests are forwarded.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { Agent, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import S3rver from 's3rver';
import AWSAccount from 's3rver/lib/models/account.js';

import { corsConfigurationXml } from './cors.js';
import { createVerifyingProxy } from './proxy.js';
import { answerDiskFullWith507, repairS3rver } from './s3rver-repairs.js';

export interface BucketSpec {
  name: string;
  /** Origins allowed to use presigned URLs from a browser (exact, `*`, or one `*` wildcard). */
  corsOrigins: string[];
}

export interface ObjectStoreOptions {
  /** s3rver's directory (created if missing); a second start reuses its objects. */
  dataDir: string;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Public port; 0 picks a free one. */
  port: number;
  accessKey: string;
  secretKey: string;
  /** Default 'us-east-1'. Clients should be configured with it (minio: `region`), see below. */
  region?: string;
  /** Created with their CORS rules at start (methods GET, PUT, HEAD; headers *; expose ETag). */
  buckets: BucketSpec[];
  /** Where the store reports what its clients cannot fix (a full disk). Default: stderr. */
  log?: (line: string) => void;
  /** This store's clock relative to the machine's, in ms (tests of a skewed API clock); default 0. */
  clockOffsetMs?: number;
}

export interface RunningObjectStore {
  /** e.g. http://127.0.0.1:9000 */
  endpoint: string;
  port: number;
  /** Closes the proxy and s3rver; resolves once both are closed. Safe to call twice. */
  stop(): Promise<void>;
}

const DEFAULT_HOST = '127.0.0.1';
/**
 * minio (and the AWS SDKs) sign their bucket-region lookup with us-east-1 unless a region
 * is configured, and s3rver reports every bucket in us-east-1: any other region works
 * only with clients told the region up front.
 */
const DEFAULT_REGION = 'us-east-1';

/**
 * Idle keep-alive connections between the proxy and s3rver are closed by the proxy, never
 * by s3rver: a server closing an idle connection races with a client that is just sending
 * the next request on it, and that request fails (ECONNRESET on a reused socket, a 502 to
 * the client). Node's Agent keeps idle sockets forever unless given a `timeout` (it reads
 * the server's `Keep-Alive: timeout=5` hint only to shorten a timeout it has), while s3rver,
 * like any Node server, closed them after 5 s (6 with Node's grace). See docs/architecture.md.
 */
const UPSTREAM_AGENT_IDLE_MS = 4_000;
const UPSTREAM_SERVER_IDLE_MS = 30_000;

/**
 * The same race between the proxy and its own clients (browsers, the API's minio client,
 * the tests' fetch): with Node's default of 5 s, a process that stalls a few seconds (a busy
 * machine; on a test run the API, the store and the tests share one process) closed an idle
 * client connection just as a request arrived on it (ECONNRESET). Clients that read the
 * `Keep-Alive: timeout=` hint close their idle connections a little before it; 65 s leaves
 * far more room than any stall. headersTimeout must be longer than the idle timeout.
 */
const CLIENT_IDLE_MS = 65_000;
const CLIENT_HEADERS_TIMEOUT_MS = 66_000;

export async function startObjectStore(options: ObjectStoreOptions): Promise<RunningObjectStore> {
  const host = options.host ?? DEFAULT_HOST;
  const region = options.region ?? DEFAULT_REGION;

  // eslint-disable-next-line security/detect-non-literal-fs-filename -- the data folder the operator configured, never a request path
  await mkdir(options.dataDir, { recursive: true });
  const backend = await startS3rver(options);
  const upstreamAgent = new Agent({ keepAlive: true, timeout: UPSTREAM_AGENT_IDLE_MS });
  const proxy = createServer(
    createVerifyingProxy({
      upstreamPort: backend.port,
      credentials: { accessKey: options.accessKey, secretKey: options.secretKey, region },
      buckets: options.buckets,
      clockOffsetMs: options.clockOffsetMs,
      upstreamAgent,
    }),
  );

  proxy.keepAliveTimeout = CLIENT_IDLE_MS;
  proxy.headersTimeout = CLIENT_HEADERS_TIMEOUT_MS;

  const stopBackend = async (): Promise<void> => {
    upstreamAgent.destroy();
    await backend.server.close();
  };
  try {
    await listen(proxy, options.port, host);
  } catch (error) {
    await stopBackend();
    throw error;
  }

  const { port } = proxy.address() as AddressInfo;
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    stop: () => {
      stopping ??= close(proxy).then(stopBackend);
      return stopping;
    },
  };
}

async function startS3rver(options: ObjectStoreOptions): Promise<{ server: S3rver; port: number }> {
  allowAccessKeyInS3rver(options.accessKey);
  repairS3rver();
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory: options.dataDir,
    // s3rver logs every request through winston/koa-logger otherwise.
    silent: true,
    // Otherwise a Host such as `files.example.test` would be read as the bucket name;
    // the proxy and its clients use path-style URLs only.
    vhostBuckets: false,
    configureBuckets: options.buckets.map((bucket) => {
      const cors = corsConfigurationXml(bucket);
      return { name: bucket.name, configs: cors === undefined ? [] : [cors] };
    }),
  });
  const log = options.log ?? ((line: string) => console.error(line));
  answerDiskFullWith507(server, (method, url) =>
    log(`Object store: no space left in ${options.dataDir}; refused ${method} ${url.split('?')[0]} with 507. Free space there; the store keeps running.`),
  );
  await server.run();
  server.httpServer.keepAliveTimeout = UPSTREAM_SERVER_IDLE_MS;
  return { server, port: (server.httpServer.address() as AddressInfo).port };
}

/**
 * s3rver answers InvalidAccessKeyId to any key missing from its process-wide registry,
 * even though it checks no SigV4 signature. The proxy has already verified the signature,
 * so s3rver only needs the key id to exist. It gets a random secret rather than ours:
 * it would use a secret only for the legacy V2 signatures, which the proxy never lets
 * through. Entries are never removed, because other stores in this process may share a key.
 */
function allowAccessKeyInS3rver(accessKey: string): void {
  if (AWSAccount.registry.has(accessKey)) return;
  new AWSAccount(123456789012, 'embedded-object-store').createKeyPair(accessKey, randomBytes(32).toString('hex'));
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    // Keep-alive connections would otherwise hold close() open until they time out.
    server.closeIdleConnections();
  });
}
