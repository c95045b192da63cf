/**
 * The public face of the object store: a reverse proxy that forwards a request to s3rver
 * only once its SigV4 signature checks out. Bodies stream through; only header-signed
 * requests that declare a body hash are buffered, to check that hash before forwarding.
 */
import { createHash } from 'node:crypto';
import {
  Agent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type RequestListener,
  type ServerResponse,
} from 'node:http';
import { pipeline } from 'node:stream';

import { corsHeadersForRefusal, type BucketCors } from './cors.js';
import { S3Rejection } from './s3-error.js';
import { hexEqualsInConstantTime, verifySignedRequest, type SigningCredentials } from './sigv4.js';

/**
 * Header-signed bodies are buffered to check their hash. Only small control requests are
 * header-signed here (file uploads use presigned URLs), so this bounds memory, not uploads.
 */
const MAX_HASHED_BODY_BYTES = 16 * 1024 * 1024;

/** Headers that describe one connection, not the request: never forwarded either way. */
const HOP_BY_HOP_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  // Node's server already answered any 100-continue; s3rver's interim answer would go nowhere.
  'expect',
]);

export interface ProxyOptions {
  upstreamPort: number;
  credentials: SigningCredentials;
  buckets: readonly BucketCors[];
  upstreamAgent: Agent;
  /**
   * How far this store's clock is from the machine's, in ms (default 0): for tests of an API
   * whose clock differs from the store's. Signatures are checked against this clock and every
   * answer's Date header shows it, as a store on another machine would.
   */
  clockOffsetMs?: number;
}

export function createVerifyingProxy(options: ProxyOptions): RequestListener {
  return (req, res) => {
    handle(req, res, options).catch((error: unknown) => refuse(req, res, options, asRejection(error)));
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: ProxyOptions): Promise<void> {
  refuseDotSegments(req.url ?? '');
  if (isCorsPreflight(req)) {
    // Browsers never sign preflights; s3rver answers them from the bucket's CORS rules.
    forward(req, res, options, req);
    return;
  }
  const { payloadSha256 } = verifySignedRequest(
    { method: req.method ?? '', url: req.url ?? '', headers: req.headersDistinct },
    options.credentials,
    storeNow(options),
  );
  await checkPreconditions(req, options);
  if (payloadSha256 === undefined) {
    forward(req, res, options, req);
    return;
  }
  const body = await readBody(req, MAX_HASHED_BODY_BYTES);
  const actual = createHash('sha256').update(body).digest('hex');
  if (!hexEqualsInConstantTime(actual, payloadSha256)) {
    throw new S3Rejection(
      400,
      'XAmzContentSHA256Mismatch',
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );
  }
  forward(req, res, options, body);
}

function storeNow(options: ProxyOptions): Date {
  return new Date(Date.now() + (options.clockOffsetMs ?? 0));
}

/**
 * A PUT with `If-None-Match: *` stores the object only if there is none (S3's conditional
 * write): the API signs this header into upload URLs, so a URL can never replace a stored
 * segment. s3rver knows no conditions, so the proxy asks it first. Between that question and
 * the write another PUT could slip in; a real S3 decides atomically, and for the embedded store
 * the signed Content-Length still bounds what such a race could write.
 */
async function checkPreconditions(req: IncomingMessage, options: ProxyOptions): Promise<void> {
  const condition = req.headers['if-none-match'];
  if (condition === undefined || req.method !== 'PUT') return;
  if (condition.trim() !== '*') throw new S3Rejection(501, 'NotImplemented', 'Only If-None-Match: * is supported on PUT.');
  if (await upstreamHas(req.url ?? '', options)) {
    throw new S3Rejection(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
  }
}

function upstreamHas(url: string, options: ProxyOptions): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = httpRequest(
      { host: '127.0.0.1', port: options.upstreamPort, method: 'HEAD', path: url.split('?')[0], agent: options.upstreamAgent },
      (answer) => {
        answer.resume();
        resolve(answer.statusCode === 200);
      },
    );
    probe.on('error', () => reject(new S3Rejection(502, 'ServiceUnavailable', 'The storage backend did not answer.')));
    probe.end();
  });
}

/**
 * s3rver maps keys to files with path.join, so a key such as `a/../../b` (or its encoded
 * form `a%2F..%2F..%2Fb`) would reach outside its directory. S3 allows such keys; our keys
 * are server-chosen UUIDs, so refusing them costs nothing.
 */
function refuseDotSegments(url: string): void {
  let path: string;
  try {
    path = decodeURIComponent(url.split('?')[0]);
  } catch {
    throw new S3Rejection(400, 'InvalidURI', 'Could not parse the specified URI.');
  }
  if (path.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw new S3Rejection(400, 'InvalidURI', 'Object keys with "." or ".." path segments are not supported here.');
  }
}

function isCorsPreflight(req: IncomingMessage): boolean {
  return (
    req.method === 'OPTIONS' &&
    req.headers.origin !== undefined &&
    req.headers['access-control-request-method'] !== undefined
  );
}

/** Sends the request on to s3rver, with `body` either the live request stream or checked bytes. */
function forward(req: IncomingMessage, res: ServerResponse, options: ProxyOptions, body: IncomingMessage | Buffer): void {
  const headers = withoutHopByHop(req.headers);
  if (Buffer.isBuffer(body)) {
    headers['content-length'] = body.length;
  } else if (req.headers['transfer-encoding'] !== undefined) {
    // Length unknown: let Node chunk the forwarded body as the client did.
    headers['transfer-encoding'] = 'chunked';
  }
  const upstream = httpRequest({
    host: '127.0.0.1',
    port: options.upstreamPort,
    method: req.method,
    path: req.url,
    headers,
    agent: options.upstreamAgent,
  });
  upstream.on('response', (upstreamRes) => relayResponse(upstreamRes, res, options));
  upstream.on('error', () => {
    if (res.destroyed) return; // the client left first; nobody to tell
    if (res.headersSent) {
      res.destroy(); // half a response already went out: cutting it off is the only signal left
      return;
    }
    refuse(req, res, options, new S3Rejection(502, 'ServiceUnavailable', 'The storage backend did not answer.'));
  });
  // If the client goes away mid-request, stop the upstream request too. (The repaired s3rver
  // then keeps the old object, as S3 does: see s3rver-repairs.ts.)
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  if (Buffer.isBuffer(body)) {
    upstream.end(body);
  } else {
    pipeline(body, upstream, () => {
      // Errors surface through upstream's 'error' event and res's 'close' handled above.
    });
  }
}

function relayResponse(upstreamRes: IncomingMessage, res: ServerResponse, options: ProxyOptions): void {
  const headers = withoutHopByHop(upstreamRes.headers);
  if (options.clockOffsetMs) headers.date = storeNow(options).toUTCString();
  res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, headers);
  pipeline(upstreamRes, res, () => {
    // A client that disconnects mid-download is not an error of the store.
  });
}

/** Reads a body to memory, refusing (without reading further) once it passes `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = new S3Rejection(
    400,
    'EntityTooLarge',
    `Header-signed bodies with a payload hash are limited to ${limit} bytes; use a presigned URL.`,
  );
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.reject(tooLarge);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > limit) {
        req.off('data', onData);
        req.pause();
        reject(tooLarge);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function refuse(req: IncomingMessage, res: ServerResponse, options: ProxyOptions, rejection: S3Rejection): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const xml = rejection.toXml();
  res.writeHead(rejection.status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(xml),
    // The body of a refused upload is unread; closing beats draining megabytes nobody wants.
    connection: 'close',
    date: storeNow(options).toUTCString(),
    ...corsHeadersForRefusal(options.buckets, bucketOf(req.url), req.headers.origin),
  });
  res.end(xml);
}

function asRejection(error: unknown): S3Rejection {
  if (error instanceof S3Rejection) return error;
  return new S3Rejection(500, 'InternalError', 'We encountered an internal error. Please try again.');
}

function withoutHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const listedInConnection = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase()),
  );
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => !HOP_BY_HOP_HEADERS.has(name) && !listedInConnection.has(name)),
  );
}

/** Path-style requests only (s3rver runs with vhostBuckets off): /bucket/key. */
function bucketOf(url: string | undefined): string | undefined {
  const segment = (url ?? '').split('?')[0].split('/')[1];
  if (!segment) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
