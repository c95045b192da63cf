import http, { type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import https from 'node:https';
import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Client } from 'minio';
import { DependencyUnavailable } from '../common/dependency-unavailable.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { SigV4Presigner } from './sigv4-presigner.js';

/** Seconds a client is asked to wait when the store is down (Retry-After). */
const RETRY_AFTER_SECONDS = 5;

/** S3 refuses requests signed further than this from its own clock (RequestTimeTooSkewed). */
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
/** Below this the difference is noise (the Date header counts whole seconds). */
const NEGLIGIBLE_SKEW_MS = 2_000;
/** How often the store's clock is read again. */
const CLOCK_CHECK_INTERVAL_MS = 10 * 60 * 1000;

export interface StoredObject {
  key: string;
  lastModified: Date;
}

/** A segment URL and the headers the client must send with it (they are signed). */
export interface PresignedRequest {
  url: string;
  headers?: Record<string, string>;
}

/** S3 error codes that mean the store cannot serve now, not that the request was wrong. */
const STORE_BUSY_CODES = new Set(['ServiceUnavailable', 'SlowDown', 'InternalError', 'RequestTimeout', 'XMinioStorageFull', 'InsufficientStorage']);

/**
 * The only user of the S3 client. Objects are written and read by browsers
 * through short-lived pre-signed URLs; the API never streams file bodies.
 *
 * Every call to the store ends: the socket gives up after `timeoutMs` without
 * traffic, the call after `timeoutMs` in all, and the client's own retries are
 * off (a retry is the caller's decision). A store that is down, frozen or full
 * becomes DependencyUnavailable (503 with Retry-After). Callers never hold a
 * database connection while they wait here (records.service.ts).
 */
@Injectable()
export class StorageService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Storage');
  /** Talks to the store (bucket checks, stat, delete). */
  private readonly client: Client;
  /** Signs URLs for the host browsers use; signing needs no network call. */
  private readonly presigner: SigV4Presigner;
  private readonly endpoint: URL;
  private readonly bucket: string;
  private readonly region: string;
  private readonly timeoutMs: number;
  /** The store's clock minus ours, when they differ noticeably; pre-signed URLs are dated by the store's clock. */
  private clockOffsetMs = 0;
  private clockTimer: NodeJS.Timeout | null = null;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.endpoint = config.s3.endpoint;
    this.bucket = config.s3.bucket;
    this.region = config.s3.region;
    this.timeoutMs = config.s3.timeoutMs;
    this.client = clientFor(config.s3.endpoint, config);
    this.presigner = new SigV4Presigner(config.s3.publicEndpoint, config.s3.bucket, {
      accessKey: config.s3.accessKey,
      secretKey: config.s3.secretKey,
      region: config.s3.region,
    });
  }

  /**
   * Before the API serves: the store's clock must be within S3's 15 minutes of
   * ours (else every call would be refused, and the API says so and does not
   * start), and the bucket must exist. CORS is the store's own configuration.
   */
  async onModuleInit(): Promise<void> {
    await this.checkClock();
    if (!(await this.call('bucket check', () => this.client.bucketExists(this.bucket)))) {
      await this.call('bucket creation', () => this.client.makeBucket(this.bucket, this.region));
      this.logger.log(`Created bucket ${this.bucket}`);
    }
    this.clockTimer = setInterval(() => void this.checkClock().catch((error: unknown) => this.logger.warn(String(error))), CLOCK_CHECK_INTERVAL_MS);
    this.clockTimer.unref();
  }

  onModuleDestroy(): void {
    if (this.clockTimer) clearInterval(this.clockTimer);
  }

  /**
   * A PUT URL for one segment: the store takes exactly `byteLength` bytes
   * (Content-Length is signed) and only if no object is there yet
   * (`If-None-Match: *` is signed): once a segment is stored, and after the
   * commit, no URL can replace it.
   */
  presignPut(objectKey: string, seconds: number, byteLength: number): PresignedRequest {
    const headers = { 'If-None-Match': '*' };
    const url = this.presigner.presign({ method: 'PUT', objectKey, expiresSeconds: seconds, headers: { ...headers, 'Content-Length': String(byteLength) }, now: this.storeNow() });
    return { url, headers };
  }

  presignGet(objectKey: string, seconds: number): PresignedRequest {
    return { url: this.presigner.presign({ method: 'GET', objectKey, expiresSeconds: seconds, now: this.storeNow() }) };
  }

  /** The store's time, as far as its Date header told us. */
  private storeNow(): Date {
    return new Date(Date.now() + this.clockOffsetMs);
  }

  /**
   * Reads the store's clock from the Date header of an unauthenticated request
   * (any S3 answers one, even a refusal). A clock behind the store's by more
   * than a download URL's lifetime would make every download URL expired on
   * arrival; so URLs are dated by the store's clock. Runs at start and every
   * CLOCK_CHECK_INTERVAL_MS.
   */
  async checkClock(): Promise<void> {
    const sentAt = Date.now();
    const date = await this.call('clock check', () => dateHeaderOf(this.endpoint, this.timeoutMs));
    if (date === null) return;
    const offset = date - (sentAt + Date.now()) / 2;
    if (Math.abs(offset) > MAX_CLOCK_SKEW_MS) {
      throw new Error(
        `The object store's clock is ${Math.round(Math.abs(offset) / 1000)} s ${offset > 0 ? 'ahead of' : 'behind'} this API's. ` +
          'S3 refuses requests signed more than 15 minutes off its clock: set both machines to the right time (NTP) and start again.',
      );
    }
    const previous = this.clockOffsetMs;
    this.clockOffsetMs = Math.abs(offset) < NEGLIGIBLE_SKEW_MS ? 0 : Math.round(offset);
    if (this.clockOffsetMs !== 0 && Math.abs(this.clockOffsetMs - previous) >= NEGLIGIBLE_SKEW_MS) {
      this.logger.warn(`The object store's clock is ${Math.round(this.clockOffsetMs / 1000)} s off this API's; pre-signed URLs are dated by the store's clock. Fix the time (NTP).`);
    }
  }

  /** Whether the store answers for the bucket within `timeoutMs` (readiness); never throws. */
  async isReachable(timeoutMs: number): Promise<boolean> {
    try {
      return await this.call('bucket check', () => this.client.bucketExists(this.bucket), Math.min(timeoutMs, this.timeoutMs));
    } catch {
      return false;
    }
  }

  /** The stored size of an object, or null when there is none. */
  async sizeOf(objectKey: string): Promise<number | null> {
    return this.call('stat', async () => {
      try {
        return (await this.client.statObject(this.bucket, objectKey)).size;
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
    });
  }

  /**
   * One page (up to 1,000) of the objects under `prefix`, in key order, after
   * `continuationToken` (ListObjectsV2): for the reconciliation of the store
   * against the database.
   */
  async listPage(prefix: string, continuationToken: string): Promise<{ objects: StoredObject[]; nextToken: string | null }> {
    const page = await this.call('list', () => this.client.listObjectsV2Query(this.bucket, prefix, continuationToken, '', 1000, ''));
    const objects = page.objects.flatMap((item) => (item.name === undefined ? [] : [{ key: item.name, lastModified: item.lastModified }]));
    return { objects, nextToken: page.isTruncated ? page.nextContinuationToken : null };
  }

  /** Removes objects; ones already gone are not an error (S3 deletes are idempotent). */
  async remove(objectKeys: string[]): Promise<void> {
    for (const objectKey of objectKeys) await this.call('delete', () => this.client.removeObject(this.bucket, objectKey));
  }

  /** Runs one call to the store with a deadline; a store that cannot serve becomes DependencyUnavailable. */
  private async call<T>(what: string, work: () => Promise<T>, timeoutMs = this.timeoutMs): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreTimeout(`${what} took longer than ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([work(), deadline]);
    } catch (error) {
      const reason = storeUnavailableReason(error);
      if (reason !== null) throw new DependencyUnavailable('objectStore', RETRY_AFTER_SECONDS, `${what}: ${reason}`);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}

class StoreTimeout extends Error {
  readonly code = 'ETIMEDOUT';
}

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === 'NotFound' || code === 'NoSuchKey';
}

/** Why the store could not serve (socket error, timeout, 5xx), or null for an answer that is the caller's business. */
function storeUnavailableReason(error: unknown): string | null {
  if (error instanceof StoreTimeout) return error.message;
  const candidate = error as { code?: unknown; message?: unknown } | null;
  const code = typeof candidate?.code === 'string' ? candidate.code : '';
  if (STORE_BUSY_CODES.has(code) || /^E[A-Z]+$/.test(code)) return code;
  const message = typeof candidate?.message === 'string' ? candidate.message : '';
  // minio's request layer reports statuses it would have retried this way (its own retries are off).
  if (/Retryable HTTP status|Request failed after|socket hang up/.test(message)) return message;
  return null;
}

/**
 * The time in the Date header of any answer of the endpoint, or null when it sends none.
 * On a connection of its own, closed after the answer: Ceph's RADOS Gateway answers this
 * anonymous HEAD with a chunked body, which HTTP forbids after HEAD, and on a kept-alive
 * connection those bytes spoiled the next call to the store ("Parse Error: Expected HTTP/";
 * backend/test/store-connections.spec.ts).
 */
function dateHeaderOf(endpoint: URL, timeoutMs: number): Promise<number | null> {
  const transport = timedTransport(endpoint.protocol === 'https:', timeoutMs);
  return new Promise((resolve, reject) => {
    const options = { method: 'HEAD', hostname: endpoint.hostname, port: endpoint.port, path: '/', agent: false, headers: { connection: 'close' } } as const;
    const request = transport.request(options, (response) => {
      response.resume();
      const date = Date.parse(response.headers.date ?? '');
      resolve(Number.isNaN(date) ? null : date);
    });
    request.on('error', reject);
    request.end();
  });
}

/** http(s).request with a socket timeout: a store that stops answering mid-call cannot hold the caller. */
function timedTransport(useSSL: boolean, timeoutMs: number): Pick<typeof http, 'request'> {
  const base = useSSL ? https : http;
  const request = (options: RequestOptions, callback?: (response: IncomingMessage) => void): ClientRequest => {
    const outgoing = base.request({ ...options, timeout: timeoutMs }, callback);
    outgoing.on('timeout', () => outgoing.destroy(new StoreTimeout(`no answer within ${timeoutMs} ms`)));
    return outgoing;
  };
  // minio calls request(options, callback) only; the other overloads of http.request are never used.
  return { request: request as typeof http.request };
}

function clientFor(endpoint: URL, config: AppConfig): Client {
  const useSSL = endpoint.protocol === 'https:';
  return new Client({
    endPoint: endpoint.hostname,
    port: endpoint.port ? Number(endpoint.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey: config.s3.accessKey,
    secretKey: config.s3.secretKey,
    // A fixed region: the client never asks the store where the bucket lives.
    region: config.s3.region,
    pathStyle: true,
    transport: timedTransport(useSSL, config.s3.timeoutMs),
    retryOptions: { disableRetry: true },
  });
}
