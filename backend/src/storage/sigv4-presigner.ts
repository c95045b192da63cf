import { createHash, createHmac } from 'node:crypto';

/**
 * Pre-signed URLs in AWS Signature Version 4, query-string form (the S3 API
 * reference, "Authenticating Requests: Using Query Parameters"). Written here
 * rather than taken from the minio client because an upload URL must sign
 * headers that minio leaves out on purpose: `content-length` (the store takes
 * exactly the bytes the layout promises, no more) and `if-none-match: *` (an
 * object, once stored, is never replaced through the URL, so a commit ends the
 * upload's ability to write). The signing key is derived once per day, not
 * once per URL.
 */
export interface PresignOptions {
  method: 'GET' | 'PUT';
  objectKey: string;
  expiresSeconds: number;
  /** Headers the client must send exactly as given; they become part of the signature. */
  headers?: Record<string, string>;
  /** The time the URL is dated: the store's clock, as well as the API knows it. */
  now: Date;
}

export interface SigningCredentials {
  accessKey: string;
  secretKey: string;
  region: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const SERVICE = 's3';

export class SigV4Presigner {
  private cachedKey: { day: string; key: Buffer } | null = null;

  constructor(
    /** The endpoint browsers reach; its host (and port) are signed. */
    private readonly endpoint: URL,
    private readonly bucket: string,
    private readonly credentials: SigningCredentials,
  ) {}

  presign(options: PresignOptions): string {
    const amzDate = options.now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const day = amzDate.slice(0, 8);
    const scope = `${day}/${this.credentials.region}/${SERVICE}/aws4_request`;
    const headers: Record<string, string> = { host: this.endpoint.host };
    for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value.trim();
    const signedHeaders = Object.keys(headers).sort();
    const path = `${basePath(this.endpoint)}/${uriEncode(this.bucket)}/${options.objectKey.split('/').map(uriEncode).join('/')}`;
    const query: Array<[string, string]> = [
      ['X-Amz-Algorithm', ALGORITHM],
      ['X-Amz-Credential', `${this.credentials.accessKey}/${scope}`],
      ['X-Amz-Date', amzDate],
      ['X-Amz-Expires', String(options.expiresSeconds)],
      ['X-Amz-SignedHeaders', signedHeaders.join(';')],
    ];
    const canonicalQuery = query
      .map(([name, value]) => [uriEncode(name), uriEncode(value)])
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, value]) => `${name}=${value}`)
      .join('&');
    const canonicalRequest = [
      options.method,
      path,
      canonicalQuery,
      signedHeaders.map((name) => `${name}:${headers[name]}\n`).join(''),
      signedHeaders.join(';'),
      'UNSIGNED-PAYLOAD',
    ].join('\n');
    const stringToSign = [ALGORITHM, amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
    const signature = createHmac('sha256', this.signingKey(day)).update(stringToSign, 'utf8').digest('hex');
    return `${this.endpoint.protocol}//${this.endpoint.host}${path}?${canonicalQuery}&X-Amz-Signature=${signature}`;
  }

  private signingKey(day: string): Buffer {
    if (this.cachedKey?.day !== day) {
      const dateKey = hmac(`AWS4${this.credentials.secretKey}`, day);
      const regionKey = hmac(dateKey, this.credentials.region);
      const serviceKey = hmac(regionKey, SERVICE);
      this.cachedKey = { day, key: hmac(serviceKey, 'aws4_request') };
    }
    return this.cachedKey.key;
  }
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** RFC 3986 percent-encoding of everything but the unreserved characters, as SigV4 requires. */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** An endpoint may carry a path prefix (a store behind a proxy path); without one, nothing. */
function basePath(endpoint: URL): string {
  return endpoint.pathname.replace(/\/+$/, '');
}
