import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { Client } from 'minio';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

/**
 * The only user of the S3 client. Objects are written and read by browsers
 * through short-lived pre-signed URLs; the API never streams file bodies.
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

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.bucket = config.s3.bucket;
    this.region = config.s3.region;
    this.client = clientFor(config.s3.endpoint, config);
    this.presigner = clientFor(config.s3.publicEndpoint, config);
  }

  /** The bucket must exist before the API serves; CORS is the store's own configuration. */
  async onModuleInit(): Promise<void> {
    if (!(await this.client.bucketExists(this.bucket))) {
      await this.client.makeBucket(this.bucket, this.region);
      this.logger.log(`Created bucket ${this.bucket}`);
    }
  }

  presignPut(objectKey: string, seconds: number): Promise<string> {
    return this.presigner.presignedPutObject(this.bucket, objectKey, seconds);
  }

  presignGet(objectKey: string, seconds: number): Promise<string> {
    return this.presigner.presignedGetObject(this.bucket, objectKey, seconds);
  }

  /** The stored size of an object, or null when there is none. */
  async sizeOf(objectKey: string): Promise<number | null> {
    try {
      return (await this.client.statObject(this.bucket, objectKey)).size;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /** Removes objects; ones already gone are not an error (S3 deletes are idempotent). */
  async remove(objectKeys: string[]): Promise<void> {
    for (const objectKey of objectKeys) await this.client.removeObject(this.bucket, objectKey);
  }
}

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === 'NotFound' || code === 'NoSuchKey';
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
  });
}
