/**
 * Bucket CORS rules. s3rver applies them itself (preflights and actual requests); this
 * module writes them in S3's XML and also answers "may this origin read our own 403?",
 * which s3rver never sees because the proxy refuses those requests before forwarding.
 */
import type { OutgoingHttpHeaders } from 'node:http';

import { escapeXml } from './s3-error.js';

export interface BucketCors {
  name: string;
  corsOrigins: string[];
}

/** What browsers may do with presigned URLs: read, upload, check existence. */
const ALLOWED_METHODS = ['GET', 'PUT', 'HEAD'] as const;
/** The frontend reads ETag after an upload to confirm what the store received. */
const EXPOSED_HEADERS = ['ETag'] as const;

/** The S3 CORSConfiguration document for one bucket, or undefined when it allows no origin. */
export function corsConfigurationXml(bucket: BucketCors): string | undefined {
  if (bucket.corsOrigins.length === 0) return undefined;
  const rule = [
    ...bucket.corsOrigins.map((origin) => `<AllowedOrigin>${escapeXml(origin)}</AllowedOrigin>`),
    ...ALLOWED_METHODS.map((method) => `<AllowedMethod>${method}</AllowedMethod>`),
    '<AllowedHeader>*</AllowedHeader>',
    ...EXPOSED_HEADERS.map((header) => `<ExposeHeader>${header}</ExposeHeader>`),
  ].join('');
  return `<CORSConfiguration><CORSRule>${rule}</CORSRule></CORSConfiguration>`;
}

/**
 * CORS headers for a refusal, so that a page on an allowed origin can read why its URL was
 * refused (e.g. "Request has expired") instead of seeing an opaque network error.
 */
export function corsHeadersForRefusal(
  buckets: readonly BucketCors[],
  bucketName: string | undefined,
  origin: string | undefined,
): OutgoingHttpHeaders {
  const bucket = buckets.find((candidate) => candidate.name === bucketName);
  if (origin === undefined || bucket === undefined) return {};
  if (!bucket.corsOrigins.some((allowed) => originMatches(allowed, origin))) return {};
  return {
    'access-control-allow-origin': origin,
    'access-control-expose-headers': EXPOSED_HEADERS.join(', '),
    vary: 'Origin',
  };
}

/** Same matching as S3 (and s3rver): exact, or with one `*` wildcard. */
function originMatches(allowed: string, origin: string): boolean {
  const [prefix, suffix] = allowed.split('*', 2) as [string, string | undefined];
  if (suffix === undefined) return allowed === origin;
  return origin.length >= prefix.length + suffix.length && origin.startsWith(prefix) && origin.endsWith(suffix);
}
