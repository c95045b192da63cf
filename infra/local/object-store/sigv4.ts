/**
 * Verification of AWS Signature Version 4 as S3 applies it, for the two forms S3 clients
 * use: the `Authorization` header (SDK calls) and the query string (presigned URLs).
 *
 * s3rver checks none of this, and presigned URLs are the only thing standing between a
 * browser and someone else's health records, so every part of the request the signer
 * committed to (method, path, query, signed headers, time window, key, scope) is checked
 * here before the proxy forwards anything.
 *
 * Reference: https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

import { S3Rejection, accessDenied } from './s3-error.js';

const ALGORITHM = 'AWS4-HMAC-SHA256';
const SERVICE = 's3';
const SCOPE_TERMINATOR = 'aws4_request';
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** S3 refuses header-signed requests whose clock is further off than this. */
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
/** S3's bounds for X-Amz-Expires: at least a second, at most seven days. */
const MIN_EXPIRES_SECONDS = 1;
const MAX_EXPIRES_SECONDS = 7 * 24 * 60 * 60;

export interface SigningCredentials {
  accessKey: string;
  secretKey: string;
  region: string;
}

/** The parts of an incoming HTTP request the signature covers, exactly as received. */
export interface IncomingSignedRequest {
  method: string;
  /** Path and query as sent on the request line (`req.url`). */
  url: string;
  /** Header values by lowercase name, repeated headers kept apart (`req.headersDistinct`). */
  headers: Readonly<Record<string, readonly string[] | undefined>>;
}

export interface VerifiedRequest {
  /**
   * The SHA-256 (lowercase hex) the signer declared for the body, which the caller must
   * check the body against; undefined when the signer left the payload unsigned.
   */
  payloadSha256: string | undefined;
}

/** What one authentication form (header or query) carries. */
interface Authentication {
  form: 'header' | 'query';
  credential: Credential;
  signedHeaders: string[];
  signature: string;
  /** X-Amz-Date, ISO 8601 basic format: 20240101T120000Z. */
  amzDate: string;
  payloadHash: string;
  /** Presigned URLs only. */
  expiresSeconds?: number;
}

interface Credential {
  accessKey: string;
  date: string;
  region: string;
  service: string;
  terminator: string;
}

type QueryParameter = readonly [name: string, value: string];

/**
 * Throws an S3Rejection unless the request is signed with `credentials` and still valid
 * at `now`. The body is not read here; see `payloadSha256` in the result.
 */
export function verifySignedRequest(
  request: IncomingSignedRequest,
  credentials: SigningCredentials,
  now: Date,
): VerifiedRequest {
  const { path, query } = splitUrl(request.url);
  const parameters = parseQuery(query);
  const auth = readAuthentication(request, parameters);

  checkAccessKey(auth.credential, credentials);
  checkScope(auth, credentials);
  checkSignedHeaderList(auth.signedHeaders, request.headers);

  const canonicalRequest = buildCanonicalRequest(request, path, parameters, auth);
  const stringToSign = buildStringToSign(auth, canonicalRequest);
  const expected = createHmac('sha256', signingKey(credentials.secretKey, auth.credential))
    .update(stringToSign)
    .digest('hex');
  if (!hexEqualsInConstantTime(expected, auth.signature)) {
    throw new S3Rejection(
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. ' +
        'Check your key and signing method.',
      // S3 returns these too; they only echo the request and help find a client's mistake.
      { StringToSign: stringToSign, CanonicalRequest: canonicalRequest },
    );
  }

  // Time is checked after the signature so that only key holders learn about validity windows.
  checkTimeWindow(auth, now);
  return { payloadSha256: isSha256Hex(auth.payloadHash) ? auth.payloadHash.toLowerCase() : undefined };
}

// ---------------------------------------------------------------------------------------
// Reading the authentication parameters

function readAuthentication(
  request: IncomingSignedRequest,
  parameters: readonly QueryParameter[],
): Authentication {
  const hasHeaderAuth = request.headers['authorization'] !== undefined;
  const hasQueryAuth = parameters.some(([name]) => name === 'X-Amz-Algorithm');
  if (hasHeaderAuth && hasQueryAuth) {
    throw new S3Rejection(400, 'InvalidArgument', 'Only one auth mechanism allowed');
  }
  if (hasHeaderAuth) return readHeaderAuthentication(request.headers);
  if (hasQueryAuth) return readQueryAuthentication(parameters);
  throw accessDenied('Anonymous access is not allowed; sign the request with AWS Signature Version 4');
}

function readHeaderAuthentication(headers: IncomingSignedRequest['headers']): Authentication {
  const authorization = singleHeader(headers, 'authorization');
  const prefix = `${ALGORITHM} `;
  if (!authorization.startsWith(prefix)) {
    throw accessDenied(`Only ${ALGORITHM} authorization is supported`);
  }
  const fields = parseAuthorizationFields(authorization.slice(prefix.length));
  const payloadHash = singleHeader(headers, 'x-amz-content-sha256');
  if (payloadHash.startsWith('STREAMING-')) {
    // s3rver would store the aws-chunked framing as object bytes: refuse rather than corrupt.
    throw new S3Rejection(501, 'NotImplemented', `x-amz-content-sha256 ${payloadHash} is not supported here`);
  }
  if (payloadHash !== UNSIGNED_PAYLOAD && !isSha256Hex(payloadHash)) {
    throw new S3Rejection(400, 'InvalidArgument', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a SHA-256');
  }
  return {
    form: 'header',
    credential: parseCredential(fields.Credential),
    signedHeaders: parseSignedHeaders(fields.SignedHeaders),
    signature: fields.Signature,
    amzDate: singleHeader(headers, 'x-amz-date'),
    payloadHash,
  };
}

/** `Credential=…, SignedHeaders=…, Signature=…`, each exactly once. */
function parseAuthorizationFields(text: string): Record<'Credential' | 'SignedHeaders' | 'Signature', string> {
  const fields = new Map<string, string>();
  for (const part of text.split(',')) {
    const trimmed = part.trim();
    const equals = trimmed.indexOf('=');
    const name = trimmed.slice(0, equals);
    if (equals < 1 || fields.has(name)) throw malformedAuthorization();
    fields.set(name, trimmed.slice(equals + 1));
  }
  const Credential = fields.get('Credential');
  const SignedHeaders = fields.get('SignedHeaders');
  const Signature = fields.get('Signature');
  if (fields.size !== 3 || Credential === undefined || SignedHeaders === undefined || Signature === undefined) {
    throw malformedAuthorization();
  }
  return { Credential, SignedHeaders, Signature };
}

function readQueryAuthentication(parameters: readonly QueryParameter[]): Authentication {
  const parameter = (name: string): string => {
    const values = parameters.filter(([candidate]) => candidate === name);
    if (values.length !== 1) {
      throw malformedQuery(`${name} must be given exactly once`);
    }
    return values[0][1];
  };
  if (parameter('X-Amz-Algorithm') !== ALGORITHM) {
    throw malformedQuery(`X-Amz-Algorithm only supports "${ALGORITHM}"`);
  }
  return {
    form: 'query',
    credential: parseCredential(parameter('X-Amz-Credential')),
    signedHeaders: parseSignedHeaders(parameter('X-Amz-SignedHeaders')),
    signature: parameter('X-Amz-Signature'),
    amzDate: parameter('X-Amz-Date'),
    // A presigned URL cannot know the body it will be used with.
    payloadHash: UNSIGNED_PAYLOAD,
    expiresSeconds: parseExpires(parameter('X-Amz-Expires')),
  };
}

function parseExpires(text: string): number {
  const seconds = /^\d{1,7}$/.test(text) ? Number(text) : Number.NaN;
  if (!(seconds >= MIN_EXPIRES_SECONDS && seconds <= MAX_EXPIRES_SECONDS)) {
    throw malformedQuery(`X-Amz-Expires must be between ${MIN_EXPIRES_SECONDS} and ${MAX_EXPIRES_SECONDS} seconds`);
  }
  return seconds;
}

/** `AKID/20240101/us-east-1/s3/aws4_request` */
function parseCredential(text: string): Credential {
  const parts = text.split('/');
  if (parts.length !== 5 || parts.some((part) => part === '')) {
    throw accessDenied('Credential must look like <key>/<yyyymmdd>/<region>/s3/aws4_request');
  }
  const [accessKey, date, region, service, terminator] = parts as [string, string, string, string, string];
  return { accessKey, date, region, service, terminator };
}

/**
 * The list must be lowercase, sorted and without repeats (as the spec requires), so that
 * exactly one spelling of it is valid, and it must include `host`.
 */
function parseSignedHeaders(text: string): string[] {
  const names = text.split(';');
  const wellFormed = names.every(
    (name, index) => /^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name) && (index === 0 || names[index - 1] < name),
  );
  if (!wellFormed) {
    throw accessDenied('SignedHeaders must be lowercase header names, sorted, separated by ";"');
  }
  if (!names.includes('host')) {
    throw accessDenied('The host header must be signed');
  }
  return names;
}

// ---------------------------------------------------------------------------------------
// Checks that do not need the signature

function checkAccessKey(credential: Credential, credentials: SigningCredentials): void {
  if (!stringsEqualInConstantTime(credential.accessKey, credentials.accessKey)) {
    throw new S3Rejection(
      403,
      'InvalidAccessKeyId',
      'The AWS Access Key Id you provided does not exist in our records.',
    );
  }
}

function checkScope(auth: Authentication, credentials: SigningCredentials): void {
  const { credential } = auth;
  const expected = `${auth.amzDate.slice(0, 8)}/${credentials.region}/${SERVICE}/${SCOPE_TERMINATOR}`;
  const actual = `${credential.date}/${credential.region}/${credential.service}/${credential.terminator}`;
  if (!/^\d{8}T\d{6}Z$/.test(auth.amzDate) || actual !== expected) {
    throw new S3Rejection(
      403,
      auth.form === 'header' ? 'AuthorizationHeaderMalformed' : 'AuthorizationQueryParametersError',
      `The credential scope must be ${expected} (X-Amz-Date ${auth.amzDate}), not ${actual}`,
      { Region: credentials.region },
    );
  }
}

/**
 * Every x-amz-* header present must be signed: s3rver acts on headers such as
 * x-amz-copy-source, and an unsigned one would let a presigned PUT for one key copy any
 * other object into it.
 */
function checkSignedHeaderList(signedHeaders: readonly string[], headers: IncomingSignedRequest['headers']): void {
  const unsigned = Object.keys(headers).filter(
    (name) => name.startsWith('x-amz-') && !signedHeaders.includes(name),
  );
  if (unsigned.length > 0) {
    throw new S3Rejection(403, 'AccessDenied', 'There were headers present in the request which were not signed', {
      HeadersNotSigned: unsigned.join(', '),
    });
  }
}

function checkTimeWindow(auth: Authentication, now: Date): void {
  const signedAt = parseAmzDate(auth.amzDate);
  const nowMs = now.getTime();
  if (auth.expiresSeconds === undefined) {
    if (Math.abs(nowMs - signedAt) > MAX_CLOCK_SKEW_MS) {
      throw new S3Rejection(
        403,
        'RequestTimeTooSkewed',
        'The difference between the request time and the current time is too large.',
      );
    }
    return;
  }
  // A date in the future would stretch a URL's life past the seven-day limit.
  if (signedAt - nowMs > MAX_CLOCK_SKEW_MS) {
    throw accessDenied('Request is not valid yet');
  }
  if (nowMs > signedAt + auth.expiresSeconds * 1000) {
    throw accessDenied('Request has expired');
  }
}

function parseAmzDate(amzDate: string): number {
  const [, year, month, day, hour, minute, second] = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/
    .exec(amzDate)!
    .map(Number);
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

// ---------------------------------------------------------------------------------------
// Canonical request and signature

function buildCanonicalRequest(
  request: IncomingSignedRequest,
  path: string,
  parameters: readonly QueryParameter[],
  auth: Authentication,
): string {
  // The signature itself is the only part of the query it cannot cover.
  const signedParameters =
    auth.form === 'query' ? parameters.filter(([name]) => name !== 'X-Amz-Signature') : parameters;
  return [
    request.method,
    canonicalUri(path),
    canonicalQuery(signedParameters),
    canonicalHeaders(auth.signedHeaders, request.headers),
    auth.signedHeaders.join(';'),
    auth.payloadHash,
  ].join('\n');
}

function buildStringToSign(auth: Authentication, canonicalRequest: string): string {
  const { date, region, service, terminator } = auth.credential;
  return [
    ALGORITHM,
    auth.amzDate,
    `${date}/${region}/${service}/${terminator}`,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
}

function signingKey(secretKey: string, { date, region, service, terminator }: Credential): Buffer {
  return [date, region, service, terminator].reduce<Buffer>(
    (key, part) => createHmac('sha256', key).update(part).digest(),
    Buffer.from(`AWS4${secretKey}`),
  );
}

/**
 * Each path segment URI-encoded once (S3, unlike other AWS services, does not encode the
 * result a second time). Decoding first gives every spelling of a key (`~` or `%7E`, `%2b`
 * or `%2B`) the one form the signer used; `+` in a path is a literal plus, as S3 and
 * s3rver both read it.
 */
function canonicalUri(path: string): string {
  return path
    .split('/')
    .map((segment) => encodeRfc3986(decodeComponent(segment)))
    .join('/');
}

/** Sorted by name, then value, both RFC 3986-encoded; a bare `name` becomes `name=`. */
function canonicalQuery(parameters: readonly QueryParameter[]): string {
  return parameters
    .map(([name, value]) => [encodeRfc3986(name), encodeRfc3986(value)] as const)
    .sort(([nameA, valueA], [nameB, valueB]) => compareCodePoints(nameA, nameB) || compareCodePoints(valueA, valueB))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/** One `name:value` line per signed header; repeated headers joined by commas. */
function canonicalHeaders(signedHeaders: readonly string[], headers: IncomingSignedRequest['headers']): string {
  return signedHeaders
    .map((name) => {
      const values = headers[name];
      if (values === undefined) {
        throw accessDenied(`The signed header ${name} is missing from the request`);
      }
      return `${name}:${values.map((value) => value.trim().replace(/\s+/g, ' ')).join(',')}\n`;
    })
    .join('');
}

// ---------------------------------------------------------------------------------------
// Small helpers

function splitUrl(url: string): { path: string; query: string } {
  if (!url.startsWith('/')) {
    throw new S3Rejection(400, 'InvalidURI', 'The request target must be a path');
  }
  const questionMark = url.indexOf('?');
  return questionMark === -1
    ? { path: url, query: '' }
    : { path: url.slice(0, questionMark), query: url.slice(questionMark + 1) };
}

/**
 * Query parameters decoded, in order, repeats kept. `+` means a space here, as in the
 * form encoding that s3rver (Koa's querystring) applies, so that what is verified is what
 * s3rver will act on.
 */
function parseQuery(query: string): QueryParameter[] {
  return query
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const [name, value] = equals === -1 ? [pair, ''] : [pair.slice(0, equals), pair.slice(equals + 1)];
      return [decodeComponent(name.replace(/\+/g, ' ')), decodeComponent(value.replace(/\+/g, ' '))] as const;
    });
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new S3Rejection(400, 'InvalidURI', 'Could not parse the specified URI.');
  }
}

/** encodeURIComponent leaves !'()* alone; RFC 3986 (and SigV4) encode them. */
export function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function compareCodePoints(a: string, b: string): number {
  // Encoded strings are ASCII, so UTF-16 order is byte order.
  return a < b ? -1 : a > b ? 1 : 0;
}

function singleHeader(headers: IncomingSignedRequest['headers'], name: string): string {
  const values = headers[name];
  if (values === undefined || values.length !== 1) {
    throw accessDenied(`Header-signed requests need exactly one ${name} header`);
  }
  return values[0];
}

function isSha256Hex(text: string): boolean {
  return /^[0-9a-fA-F]{64}$/.test(text);
}

/**
 * Compares two lowercase hex digests without leaking, through timing, how many leading
 * characters match. Only the length (public: always 64) can end it early.
 */
export function hexEqualsInConstantTime(expectedHex: string, givenHex: string): boolean {
  const expected = Buffer.from(expectedHex);
  const given = Buffer.from(givenHex);
  return given.length === expected.length && timingSafeEqual(expected, given);
}

/** Hashing first gives equal lengths, so neither content nor length leaks through timing. */
function stringsEqualInConstantTime(a: string, b: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(a), digest(b));
}

function malformedAuthorization(): S3Rejection {
  return new S3Rejection(
    403,
    'AuthorizationHeaderMalformed',
    'The authorization header is malformed; it needs Credential, SignedHeaders and Signature.',
  );
}

function malformedQuery(message: string): S3Rejection {
  return new S3Rejection(403, 'AuthorizationQueryParametersError', message);
}
