import { createHmac, hash } from 'node:crypto';

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

/** The parts of a canonical request and string to sign that do not depend on the object (presign). */
interface RequestShape {
  canonicalQuery: string;
  /** The canonical headers, the signed header names and the payload hash: the canonical request after its query. */
  canonicalHeaders: string;
  /** The string to sign up to the canonical request's hash. */
  signedPrefix: string;
}

export class SigV4Presigner {
  private cachedKey: { day: string; key: Buffer } | null = null;
  private cachedDate: { second: number; amzDate: string; day: string } | null = null;
  private cachedShape: { amzDate: string; method: string; expiresSeconds: number; shape: RequestShape } | null = null;
  private readonly bucketPath: string;
  private readonly origin: string;

  constructor(
    /** The endpoint browsers reach; its host (and port) are signed. */
    private readonly endpoint: URL,
    private readonly bucket: string,
    private readonly credentials: SigningCredentials,
  ) {
    this.bucketPath = `${basePath(endpoint)}/${uriEncode(bucket)}`;
    this.origin = `${endpoint.protocol}//${endpoint.host}`;
  }

  presign(options: PresignOptions): string {
    const { amzDate, day } = this.dateOf(options.now);
    const shape = this.shapeOf(options, amzDate, day);
    const path = `${this.bucketPath}/${uriEncodeKey(options.objectKey)}`;
    const canonicalRequest = `${options.method}\n${path}\n${shape.canonicalQuery}\n${shape.canonicalHeaders}`;
    const stringToSign = `${shape.signedPrefix}${sha256Hex(canonicalRequest)}`;
    const signature = createHmac('sha256', this.signingKey(day)).update(stringToSign, 'utf8').digest('hex');
    return `${this.origin}${path}?${shape.canonicalQuery}&X-Amz-Signature=${signature}`;
  }

  /** The X-Amz-Date of `now` (whole seconds) and its day; remembered for the second it was last asked for. */
  private dateOf(now: Date): { amzDate: string; day: string } {
    const second = Math.floor(now.getTime() / 1000);
    if (this.cachedDate?.second !== second) {
      const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
      this.cachedDate = { second, amzDate, day: amzDate.slice(0, 8) };
    }
    return this.cachedDate;
  }

  /**
   * Everything of a URL's canonical request and string to sign but its path and hash, which
   * depend only on the method, the headers, the lifetime and the time (issue 14: a record's
   * segment URLs share it). Remembered for the last shape asked for without extra headers.
   */
  private shapeOf(options: PresignOptions, amzDate: string, day: string): RequestShape {
    const cacheable = options.headers === undefined || Object.keys(options.headers).length === 0;
    const cached = this.cachedShape;
    if (cacheable && cached?.amzDate === amzDate && cached.method === options.method && cached.expiresSeconds === options.expiresSeconds) return cached.shape;
    const scope = `${day}/${this.credentials.region}/${SERVICE}/aws4_request`;
    const headers: Record<string, string> = { host: this.endpoint.host };
    for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value.trim();
    const signedHeaders = Object.keys(headers).sort();
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
    const shape: RequestShape = {
      canonicalQuery,
      canonicalHeaders: [signedHeaders.map((name) => `${name}:${headers[name]}\n`).join(''), signedHeaders.join(';'), 'UNSIGNED-PAYLOAD'].join('\n'),
      signedPrefix: `${ALGORITHM}\n${amzDate}\n${scope}\n`,
    };
    if (cacheable) this.cachedShape = { amzDate, method: options.method, expiresSeconds: options.expiresSeconds, shape };
    return shape;
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

/** One-shot hash (Node ≥ 20.12): no Hash object per URL. */
function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

/** RFC 3986 percent-encoding of everything but the unreserved characters, as SigV4 requires. */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
}

const UNRESERVED_KEY = /^[A-Za-z0-9\-._~/]*$/;

/** An object key's path, each segment uriEncoded; keys of unreserved characters only (ours) are already encoded. */
function uriEncodeKey(objectKey: string): string {
  return UNRESERVED_KEY.test(objectKey) ? objectKey : objectKey.split('/').map(uriEncode).join('/');
}

/** An endpoint may carry a path prefix (a store behind a proxy path); without one, nothing. */
function basePath(endpoint: URL): string {
  // eslint-disable-next-line sonarjs/super-linear-regex -- the configured S3_ENDPOINT's path, read once, not request input
  return endpoint.pathname.replace(/\/+$/, '');
}
