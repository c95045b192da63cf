/**
 * The records bucket as the store must hold it before the API serves
 * (docs/running.md): private, and answering browsers from the portal's origin
 * only (CORS). Used by the operator's `store-init` step (cli/store-init.ts),
 * which replaces the MinIO-only `mc` container, and by the tests that run
 * against Ceph's RADOS Gateway. CORS is per bucket in S3; the minio client
 * has no call for it, so the document is PUT with its Content-MD5 as S3
 * requires.
 */
import { createHash } from 'node:crypto';
import type { Client } from 'minio';

export interface BucketSetup {
  bucket: string;
  region: string;
  /** Origins whose pages may use pre-signed URLs (the portal's). */
  corsOrigins: string[];
}

/** What browsers do with pre-signed URLs: read, upload, check existence. */
const ALLOWED_METHODS = ['GET', 'PUT', 'HEAD'] as const;
/** The portal reads ETag after an upload. */
const EXPOSED_HEADERS = ['ETag'] as const;
/** How long a browser may cache a preflight answer. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

export function corsConfigurationXml(corsOrigins: string[]): string {
  const rule = [
    ...corsOrigins.map((origin) => `<AllowedOrigin>${escapeXml(origin)}</AllowedOrigin>`),
    ...ALLOWED_METHODS.map((method) => `<AllowedMethod>${method}</AllowedMethod>`),
    '<AllowedHeader>*</AllowedHeader>',
    ...EXPOSED_HEADERS.map((header) => `<ExposeHeader>${header}</ExposeHeader>`),
    `<MaxAgeSeconds>${PREFLIGHT_MAX_AGE_SECONDS}</MaxAgeSeconds>`,
  ].join('');
  return `<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><CORSRule>${rule}</CORSRule></CORSConfiguration>`;
}

/** Creates the bucket when missing and sets its CORS rules; safe to run on every start. Returns whether it created the bucket. */
export async function prepareBucket(client: Client, setup: BucketSetup): Promise<boolean> {
  if (setup.corsOrigins.length === 0) throw new Error('prepareBucket needs at least one CORS origin (the portal’s)');
  const created = !(await client.bucketExists(setup.bucket));
  if (created) await client.makeBucket(setup.bucket, setup.region);
  const xml = corsConfigurationXml(setup.corsOrigins);
  const response = await client.makeRequestAsync(
    // eslint-disable-next-line sonarjs/hashing -- S3 requires Content-MD5 on PUT ?cors: an integrity checksum of our own XML, no security use
    { method: 'PUT', bucketName: setup.bucket, query: 'cors', headers: { 'Content-MD5': createHash('md5').update(xml, 'utf8').digest('base64') } },
    xml,
    [200],
  );
  response.resume();
  return created;
}

/** Removes every object of the bucket, then the bucket (tests' clean-up; never used by the API). */
export async function removeBucket(client: Client, bucket: string): Promise<void> {
  if (!(await client.bucketExists(bucket))) return;
  for (;;) {
    const names = await new Promise<string[]>((resolve, reject) => {
      const found: string[] = [];
      const stream = client.listObjectsV2(bucket, '', true);
      stream.on('data', (item: { name?: string }) => {
        if (item.name) found.push(item.name);
      });
      stream.once('end', () => resolve(found));
      stream.once('error', reject);
    });
    if (names.length === 0) break;
    await client.removeObjects(bucket, names);
  }
  await client.removeBucket(bucket);
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (character) => `&#${character.charCodeAt(0)};`);
}
