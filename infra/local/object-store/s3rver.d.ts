/**
 * The parts of s3rver 3.7 (which ships no types) that the object store uses.
 * Checked against node_modules/s3rver/lib/s3rver.js and lib/models/account.js.
 */
declare module 's3rver' {
  import type { AddressInfo } from 'node:net';

  interface S3rverBucketConfig {
    name: string;
    /** CORSConfiguration or WebsiteConfiguration XML documents. */
    configs?: Array<string | Buffer>;
  }

  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    /** When true (the default), a Host header that is not an IP or localhost names the bucket. */
    vhostBuckets?: boolean;
    configureBuckets?: S3rverBucketConfig[];
  }

  class S3rver {
    constructor(options?: S3rverOptions);
    /** Creates the configured buckets, then listens. */
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }

  export = S3rver;
}

declare module 's3rver/lib/models/account.js' {
  /** s3rver's process-wide registry of access keys; requests naming another key get InvalidAccessKeyId. */
  class AWSAccount {
    constructor(accountId: number, displayName: string);
    createKeyPair(accessKeyId: string, secretAccessKey: string): void;
    static registry: Map<string, AWSAccount>;
  }

  export = AWSAccount;
}
