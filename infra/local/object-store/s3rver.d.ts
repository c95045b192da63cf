/**
 * The parts of s3rver 3.7 (which ships no types) that the object store uses.
 * Checked against node_modules/s3rver/lib/s3rver.js, lib/models/account.js and error.js,
 * lib/stores/filesystem.js and lib/controllers/bucket.js.
 */
declare module 's3rver' {
  import type { Server } from 'node:http';
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

  interface S3rverContext {
    method: string;
    url: string;
  }

  class S3rver {
    constructor(options?: S3rverOptions);
    /** Koa's middleware list, composed when the server starts listening. */
    middleware: Array<(ctx: S3rverContext, next: () => Promise<void>) => Promise<void>>;
    /** Set by run(). */
    httpServer: Server;
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
    // eslint-disable-next-line sonarjs/public-static-readonly -- declares s3rver's own mutable registry as the library has it
    static registry: Map<string, AWSAccount>;
  }

  export = AWSAccount;
}

declare module 's3rver/lib/models/error.js' {
  /** s3rver's error; its koa error handler answers `status` with the XML of `code` and `message`. */
  class S3Error extends Error {
    constructor(code: string, message: string, detail?: Record<string, string>);
    code: string;
    status: number;
  }

  export = S3Error;
}

declare module 's3rver/lib/stores/filesystem.js' {
  import type { Readable } from 'node:stream';

  interface StoredObject {
    bucket: string;
    key: string;
    /** The request body (PUT) or a buffer (POST form uploads). */
    content: Readable | Buffer;
    metadata: Record<string, string>;
  }

  interface ObjectPage {
    objects: Array<{ key: string }>;
    commonPrefixes: string[];
    isTruncated: boolean;
  }

  class FilesystemStore {
    getResourcePath(bucket: string, key: string | undefined, resource: string): string;
    listObjects(bucket: string, options: Record<string, unknown>): Promise<ObjectPage>;
    putObject(object: StoredObject): Promise<{ size: number; md5: string }>;
    putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5?: string): Promise<void>;
  }

  export { type StoredObject, type ObjectPage };
  export default FilesystemStore;
}

declare module 's3rver/lib/controllers/bucket.js' {
  import type FilesystemStore from 's3rver/lib/stores/filesystem.js';

  /** The parts of a koa context that the bucket listing reads and writes. */
  interface ListContext {
    params: { bucket: string };
    query: Record<string, string | undefined>;
    store: FilesystemStore;
    body: { ListBucketResult: Record<string, unknown> };
  }

  const bucketController: {
    /** GET /:bucket, ListObjects V1 and V2; looked up on this object at each request. */
    getBucket(ctx: ListContext): Promise<void>;
  };

  export { type ListContext };
  export default bucketController;
}
