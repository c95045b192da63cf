/**
 * Two defects of s3rver 3.7.1 (its last release), repaired where they live.
 *
 * 1. A full disk crashed the whole process. FilesystemStore.putObject pipes the body into
 *    an fs write stream that has no 'error' listener, so ENOSPC became an uncaught
 *    exception: the store died, and `npm start` (which runs it in-process) with it. It also
 *    reported success once the body had passed its hashing transform, before the file was
 *    flushed, and wrote over the old object in place. Here the body is written to a
 *    temporary file through stream.pipeline (errors reach the caller), then renamed over the
 *    object; a failed write leaves the old object, and a full disk is answered 507.
 * 2. ListObjectsV2 beyond one page answered 500. s3rver encrypts its continuation token
 *    with DES, which OpenSSL 3 (Node 17 and later) no longer offers (ERR_OSSL_EVP_UNSUPPORTED),
 *    so every truncated V2 listing threw. Here the token is the bucket and the last key,
 *    base64url-encoded (opaque to clients, as S3's is; the proxy's signature covers it), and
 *    s3rver pages with it as a `start-after`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type S3rver from 's3rver';
import bucketController, { type ListContext } from 's3rver/lib/controllers/bucket.js';
import S3Error from 's3rver/lib/models/error.js';
import FilesystemStore, { type StoredObject } from 's3rver/lib/stores/filesystem.js';

/** Errors of a write that did not fit: no space left, or over a quota. */
const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);

let repaired = false;

/** Patches s3rver's classes once per process (every store in the process shares them). */
export function repairS3rver(): void {
  if (repaired) return;
  repaired = true;
  FilesystemStore.prototype.putObject = putObjectSafely;
  FilesystemStore.prototype.putMetadata = putMetadataSafely;
  const listObjects = bucketController.getBucket;
  bucketController.getBucket = (ctx) => (ctx.query['list-type'] === '2' ? listObjectsV2(ctx, listObjects) : listObjects(ctx));
}

/**
 * Answers a write that failed for want of space with 507 and an S3-style error, instead of
 * s3rver's generic 500, and tells `onDiskFull`. Must be the first middleware of the server.
 */
export function answerDiskFullWith507(server: S3rver, onDiskFull: (method: string, url: string) => void): void {
  server.middleware.unshift(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      if (!DISK_FULL_CODES.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
      onDiskFull(ctx.method, ctx.url);
      const refusal = new S3Error('InsufficientStorage', 'The object store has no space left on its disk; the object was not stored.');
      refusal.status = 507;
      throw refusal;
    }
  });
}

async function putObjectSafely(this: FilesystemStore, object: StoredObject): Promise<{ size: number; md5: string }> {
  const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- s3rver's path for the key; the proxy refuses "." and ".." segments
  await mkdir(path.dirname(objectPath), { recursive: true });
  const partialPath = `${objectPath}.${randomBytes(6).toString('hex')}.partial`;
  // eslint-disable-next-line sonarjs/hashing -- the ETag S3 clients expect is the object's MD5: a checksum, no security use
  const md5 = createHash('md5');
  let size = 0;
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      md5.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  const content = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content;
  // The request itself is not part of the pipeline: destroying it on a failed write would
  // also destroy its socket, and the client would get no answer.
  const onContentGone = (): void => {
    if (!content.readableEnded) hashing.destroy(new Error('The request ended before its body did'));
  };
  content.once('error', onContentGone).once('close', onContentGone);
  try {
    content.pipe(hashing);
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- as above
    await pipeline(hashing, createWriteStream(partialPath));
    const digest = md5.digest('hex');
    await this.putMetadata(object.bucket, object.key, object.metadata, digest);
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- as above
    await rename(partialPath, objectPath);
    return { size, md5: digest };
  } catch (error) {
    content.unpipe(hashing);
    // Read the rest of the body into the void: left unread it would stall the connection,
    // and the proxy's next request on it would wait for nothing and then fail.
    content.resume();
     
    await rm(partialPath, { force: true });
    throw error;
  } finally {
    content.off('error', onContentGone).off('close', onContentGone);
  }
}

/** s3rver's putMetadata, but each file is replaced whole or not at all. */
async function putMetadataSafely(this: FilesystemStore, bucket: string, key: string, metadata: Record<string, string>, md5?: string): Promise<void> {
  const kept = Object.fromEntries(
    Object.entries(metadata).filter(([name]) => KEPT_METADATA.has(name) || name.startsWith('x-amz-meta-')),
  );
  if (md5) await replaceFile(this.getResourcePath(bucket, key, 'object.md5'), md5);
  await replaceFile(this.getResourcePath(bucket, key, 'metadata.json'), JSON.stringify(kept, null, 2));
}

/** s3rver's S3Object.ALLOWED_METADATA. */
const KEPT_METADATA = new Set([
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'content-type',
  'expires',
  'x-amz-storage-class',
  'x-amz-website-redirect-location',
]);

async function replaceFile(filePath: string, content: string): Promise<void> {
  const partialPath = `${filePath}.${randomBytes(6).toString('hex')}.partial`;
  try {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- s3rver's path for the key
    await writeFile(partialPath, content);
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- as above
    await rename(partialPath, filePath);
  } catch (error) {
     
    await rm(partialPath, { force: true });
    throw error;
  }
}

/**
 * ListObjectsV2 through s3rver's own handler, with our continuation token: the handler
 * is given the token's key as `start-after` and is told the page is complete (so it makes
 * no DES token); the page's truncation and our token are put back in its answer.
 */
async function listObjectsV2(ctx: ListContext, listObjects: (ctx: ListContext) => Promise<void>): Promise<void> {
  const bucket = ctx.params.bucket;
  const token = ctx.query['continuation-token'];
  const query = { ...ctx.query };
  if (token) {
    delete query['continuation-token'];
    query['start-after'] = keyInToken(token, bucket);
  }
  ctx.query = query;
  const store = ctx.store;
  let truncatedAfter: string | undefined;
  ctx.store = Object.assign(Object.create(store) as FilesystemStore, {
    listObjects: async (...args: Parameters<FilesystemStore['listObjects']>) => {
      const page = await store.listObjects(...args);
      truncatedAfter = page.isTruncated ? page.objects.at(-1)?.key : undefined;
      return { ...page, isTruncated: false };
    },
  });
  await listObjects(ctx);
  const result = ctx.body.ListBucketResult;
  if (token) {
    result.StartAfter = undefined;
    result.ContinuationToken = token;
  }
  if (truncatedAfter !== undefined) {
    result.IsTruncated = true;
    result.NextContinuationToken = tokenFor(bucket, truncatedAfter);
  }
}

function tokenFor(bucket: string, lastKey: string): string {
  return Buffer.from(`${bucket}/${lastKey}`, 'utf8').toString('base64url');
}

function keyInToken(token: string, bucket: string): string {
  const decoded = Buffer.from(token, 'base64url').toString('utf8');
  if (!decoded.startsWith(`${bucket}/`) || decoded.length === bucket.length + 1) {
    throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token' });
  }
  return decoded.slice(bucket.length + 1);
}
