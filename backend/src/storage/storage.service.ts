import http, { type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import https from 'node:https';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { Client } from 'minio';
import { DependencyUnavailable } from '../common/dependency-unavailable.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

/** Seconds a client is asked to wait when the store is down (Retry-After). */
const RETRY_AFTER_SECONDS = 5;

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
export class StorageService implements OnModuleInit {
  private readonly logger = new Logger('Storage');
  /** Talks to the store (bucket checks, stat, delete). */
  private readonly client: Client;
  /** Signs URLs for the host browsers use; signing needs no network call (the region is fixed). */
  private readonly presigner: Client;
  private readonly bucket: string;
  private readonly region: string;
  private readonly timeoutMs: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.bucket = config.s3.bucket;
    this.region = config.s3.region;
    this.timeoutMs = config.s3.timeoutMs;
    this.client = clientFor(config.s3.endpoint, config);
    this.presigner = clientFor(config.s3.publicEndpoint, config);
  }

  /** The bucket must exist before the API serves; CORS is the store's own configuration. */
  async onModuleInit(): Promise<void> {
    if (!(await this.call('bucket check', () => this.client.bucketExists(this.bucket)))) {
      await this.call('bucket creation', () => this.client.makeBucket(this.bucket, this.region));
      this.logger.log(`Created bucket ${this.bucket}`);
    }
  }

  presignPut(objectKey: string, seconds: number): Promise<string> {
    return this.presigner.presignedPutObject(this.bucket, objectKey, seconds);
  }

  presignGet(objectKey: string, seconds: number): Promise<string> {
    return this.presigner.presignedGetObject(this.bucket, objectKey, seconds);
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
