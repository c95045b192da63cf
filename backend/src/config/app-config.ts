/**
 * The API's configuration: read once from the environment at start, validated,
 * and handed to every module as one typed object. A bad or missing value stops
 * start-up with a message that names the variable.
 */
import { createHash, createPrivateKey, createPublicKey, hkdfSync, type KeyObject } from 'node:crypto';
import { accessSync, constants, readFileSync } from 'node:fs';
import { hostname as machineHostname } from 'node:os';
import path from 'node:path';
import { ACCESS_TOKEN_MAX_SECONDS, KDF_MAX_ITERATIONS, KDF_MIN_ITERATIONS, ROLES, SIEM_MODES, TRASH_RETENTION_DAYS, type Role, type SiemMode } from '@phr/shared-types';
import { databaseHostsOf, DatabaseUrlError, type DatabaseHost } from './database-url.js';

export interface AppConfig {
  host: string;
  port: number;
  /** Behind a TLS proxy: take the client IP from X-Forwarded-For. */
  trustProxy: boolean;
  /** Origin of the portal; the only origin CORS admits. */
  portalOrigin: string;
  database: {
    /** Connection of the application role (owns nothing, cannot bypass RLS), to the first host of DATABASE_URL. */
    url: string;
    /**
     * Every host DATABASE_URL lists. With more than one (a pg_auto_failover formation), the API
     * connects to whichever is the writable primary now (db/primary-locator.ts).
     */
    hosts: DatabaseHost[];
    poolSize: number;
    /** Longest wait for a connection (from the pool, or a new one); then 503. */
    connectTimeoutMs: number;
    /** PostgreSQL cancels a statement that runs longer (statement_timeout). */
    statementTimeoutMs: number;
    /** PostgreSQL gives up waiting for a lock after this long (lock_timeout). */
    lockTimeoutMs: number;
    /** The API stops waiting for an answer after this long, even from a frozen server (node-postgres query_timeout). */
    queryTimeoutMs: number;
  };
  s3: {
    endpoint: URL;
    /** The endpoint browsers use; pre-signed URLs are signed for this host. */
    publicEndpoint: URL;
    accessKey: string;
    secretKey: string;
    bucket: string;
    region: string;
    /** Every call to the store ends after this long without an answer (then 503). */
    timeoutMs: number;
  };
  jwt: {
    secret: Buffer;
    keyId: string;
    accessTokenSeconds: number;
  };
  /**
   * The key directory's log key (docs/protocol.md "Key directory"): an ECDSA
   * P-256 key that signs every tree head. Its public half ships with the portal
   * build; it must never change for the life of the log (docs/running.md).
   */
  keyLog: {
    signingKey: KeyObject;
    /** The public half, SPKI DER, base64url: what the portal is built with. */
    publicKey: string;
    /** SHA-256 of the SPKI, lower-case hex: the keyId of every head it signs. */
    keyId: string;
  };
  refreshTokenSeconds: number;
  /** Server-side session limits (ASVS 3.3.2): a refresh token family dies after this long without a refresh, or this long after its sign-in. */
  session: {
    idleSeconds: number;
    maxSeconds: number;
  };
  /** How long expired or revoked refresh tokens, and used or expired auditor invitations and registration tokens, stay before the sweep deletes them. */
  endedSessionRetentionSeconds: number;
  cookieSecure: boolean;
  /** Secret behind the plausible KDF parameters returned for unknown emails (DESIGN 4.1). */
  preloginSecret: Buffer;
  kdfIterations: number;
  /** Second factors (docs/protocol.md "Second factors", ASVS 6.3.2). */
  secondFactors: {
    /**
     * Roles that must have a second factor (REQUIRE_SECOND_FACTOR_ROLES): without one, a
     * sign-in gets a session that may only enrol one. Empty: a second factor is optional.
     */
    requiredRoles: readonly Role[];
    /** AES-256-GCM key that seals TOTP secrets at rest (TOTP_SECRET_KEY, else derived from PRELOGIN_SECRET). */
    totpSecretKey: Buffer;
  };
  /**
   * Failed sign-ins and recovery-code guesses (docs/architecture.md "Sessions"): nobody is
   * locked out; a client the account does not know must show proof of work instead.
   */
  loginThrottle: {
    /** Failures on an account, or from one client on it, before a proof of work is demanded. */
    freeFailures: number;
    /** Difficulty (leading zero bits) of the first proof demanded; each further failure adds one bit, up to maxBits. */
    minBits: number;
    /** The cap, so that a browser solves any proof in a few seconds. */
    maxBits: number;
    /** How long a challenge may be answered; each is used once. */
    challengeSeconds: number;
    /** A known device is forgotten this long after its latest sign-in on the account. */
    knownDeviceSeconds: number;
    /** Re-authentication in one session: after freeFailures wrong passwords a wait, doubling with each further one, up to the maximum. */
    reauthDelaySeconds: number;
    reauthMaxDelaySeconds: number;
  };
  /**
   * Request rates per client (ASVS 8.1.4): per user when the access token is
   * valid, per IP otherwise. Every route counts towards `general`;
   * registration, doctor search and authenticator-app codes also count towards their own, stricter limit.
   */
  rateLimits: Record<RateLimitName, RateLimit>;
  /**
   * How often each instance sends the hits it counted to the shared table and
   * reads back the others' (rate-limiter.service.ts): an instance sees the
   * others' hits up to about this late.
   */
  rateLimitSyncMilliseconds: number;
  /** Outgoing mail (backend/src/mail): registration links and warnings. */
  mail: {
    /** smtp:// (STARTTLS when the server offers it; `?requireTLS=true` insists) or smtps:// (TLS from the first byte); user and password in the URL. */
    smtpUrl: URL;
    /** The From header: `address` or `Name <address>`. */
    from: string;
    /** The sender looks for due mail this often, and waits this long before the first retry of a failed mail (doubling up to an hour). */
    retrySeconds: number;
  };
  /** Notification mails (backend/src/notifications): how often the job looks, and at most one mail per account per gap. */
  notifications: {
    mailIntervalSeconds: number;
    mailGapSeconds: number;
  };
  /** Streaming the audit trail to a SIEM (backend/src/siem, docs/running.md "Streaming audit events to a SIEM"). */
  siem: SiemConfig;
  /** How long the link of a registration mail can be used. */
  registrationLinkSeconds: number;
  bodyLimitBytes: number;
  timeouts: {
    /** A client must send a whole request (headers and body) within this; else 408 and the socket closes. */
    requestMs: number;
    /** A socket with no traffic in either direction for this long is closed. */
    connectionMs: number;
    /** An idle keep-alive socket is kept this long for the next request (longer than a proxy's idle timeout). */
    keepAliveMs: number;
  };
  records: {
    /** Largest plaintext file accepted, in bytes. */
    maxBytes: number;
    /** Lifetime of a pre-signed PUT (minutes long). */
    uploadUrlSeconds: number;
    /** Lifetime of a pre-signed GET (about a minute). */
    downloadUrlSeconds: number;
    /** How long an upload may stay uncommitted after its URLs expire before the sweep removes it. */
    uploadGraceSeconds: number;
    /** How often the sweep runs; 0 turns the timer off. */
    sweepIntervalSeconds: number;
    /** How often the store is listed against the database to remove objects no row owns; 0 turns it off. */
    reconcileIntervalSeconds: number;
    /** How long a record stays in the trash, restorable, before the sweep deletes it (TRASH_RETENTION_DAYS). */
    trashRetentionSeconds: number;
  };
}

/** Where audit rows are streamed: nowhere (the default), a syslog receiver over TLS, or an append-only NDJSON file. */
export type SiemConfig = { mode: 'off' } | (SiemShipping & (SiemSyslogTls | SiemNdjson));

export interface SiemShipping {
  /** The shipper looks for new audit rows this often. */
  intervalMs: number;
  /** Rows per batch (one transaction, one write to the destination). */
  batchSize: number;
  /** After a failure the shipper waits intervalMs, doubling with each further failure, up to this. */
  maxBackoffMs: number;
}

export interface SiemSyslogTls {
  mode: 'syslog-tls';
  host: string;
  port: number;
  /** PEM of the CA that signed the receiver's certificate: the only CA trusted. */
  ca: Buffer;
  /** Client certificate and key (PEM), when the receiver asks for one. */
  clientCert: Buffer | null;
  clientKey: Buffer | null;
  /** RFC 5424 APP-NAME and HOSTNAME of every message. */
  appName: string;
  hostname: string;
  /** A connection or a write that takes longer fails (and is retried). */
  timeoutMs: number;
}

export interface SiemNdjson {
  mode: 'ndjson';
  /** Absolute path of the file; opened for appending only. */
  file: string;
}

export interface RateLimit {
  /** Requests allowed per window. */
  limit: number;
  windowSeconds: number;
}

/** `registrationMail` counts per email address, not per client: how many registration mails one address may be sent. */
/** `secondFactor`: authenticator-app codes tried (enrolment confirmations and sign-in steps), per client. */
export type RateLimitName = 'general' | 'registration' | 'registrationMail' | 'doctorSearch' | 'secondFactor';

export class ConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`Configuration error: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function required(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') throw new ConfigError(name, 'is required but not set');
  return value.trim();
}

function optional(env: Env, name: string, fallback: string): string {
  const value = env[name];
  return value === undefined || value.trim() === '' ? fallback : value.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optional(env, name, String(fallback));
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = optional(env, name, String(fallback)).toLowerCase();
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function url(env: Env, name: string, value: string, protocols: string[]): URL {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(name, 'must be a URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}, got ${parsed.protocol}`);
  }
  return parsed;
}

/** A secret of at least 32 bytes, given as base64 or hex. */
function secret(env: Env, name: string): Buffer {
  const raw = required(env, name);
  const bytes = /^[0-9a-fA-F]+$/.test(raw) && raw.length % 2 === 0 ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (bytes.length < 32) throw new ConfigError(name, 'must hold at least 32 random bytes (base64 or hex)');
  return bytes;
}

/**
 * KEY_LOG_SIGNING_KEY: PKCS#8 DER, base64url, of an ECDSA P-256 key (docs/running.md
 * shows how to make one). KEY_LOG_PUBLIC_KEY, when given (Compose passes the value
 * the portal image was built with), must be its public half: a portal built for
 * another key would refuse every tree head, so the API refuses to start instead.
 */
function keyLog(env: Env): AppConfig['keyLog'] {
  const raw = required(env, 'KEY_LOG_SIGNING_KEY');
  const hint = 'must be an ECDSA P-256 private key, PKCS#8 DER in base64url (docs/running.md "Log key of the key directory")';
  if (!/^[A-Za-z0-9_-]+$/.test(raw)) throw new ConfigError('KEY_LOG_SIGNING_KEY', hint);
  let signingKey: KeyObject;
  try {
    signingKey = createPrivateKey({ key: Buffer.from(raw, 'base64url'), format: 'der', type: 'pkcs8' });
  } catch {
    throw new ConfigError('KEY_LOG_SIGNING_KEY', hint);
  }
  if (signingKey.asymmetricKeyType !== 'ec' || signingKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new ConfigError('KEY_LOG_SIGNING_KEY', `${hint}; got a ${signingKey.asymmetricKeyType ?? 'non-asymmetric'} key${signingKey.asymmetricKeyDetails?.namedCurve ? ` on ${signingKey.asymmetricKeyDetails.namedCurve}` : ''}`);
  }
  const spki = createPublicKey(signingKey).export({ type: 'spki', format: 'der' });
  const publicKey = spki.toString('base64url');
  const published = optional(env, 'KEY_LOG_PUBLIC_KEY', publicKey);
  if (published !== publicKey) throw new ConfigError('KEY_LOG_PUBLIC_KEY', `is not the public half of KEY_LOG_SIGNING_KEY (that is ${publicKey})`);
  return { signingKey, publicKey, keyId: createHash('sha256').update(spki).digest('hex') };
}

/** Idle limit 30 minutes, absolute limit 12 hours by default (ASVS 3.3.2); the idle limit cannot exceed the absolute one. */
function sessionLimits(env: Env): AppConfig['session'] {
  const idleSeconds = integer(env, 'SESSION_IDLE_SECONDS', 30 * 60, 60, 7 * 86_400);
  const maxSeconds = integer(env, 'SESSION_MAX_SECONDS', 12 * 3600, 60, 30 * 86_400);
  if (idleSeconds > maxSeconds) throw new ConfigError('SESSION_IDLE_SECONDS', `must not exceed SESSION_MAX_SECONDS (${maxSeconds}), got ${idleSeconds}`);
  return { idleSeconds, maxSeconds };
}

/** Lockout settings of earlier versions: the lockout is gone, and a setting that no longer acts should not pass unnoticed. */
const RETIRED_LOGIN_SETTINGS: Record<string, string> = {
  LOGIN_MAX_FAILURES: 'LOGIN_FREE_FAILURES',
  LOGIN_IP_FACTOR: 'nothing (no limit per IP blocks a shared address any more)',
  LOGIN_LOCKOUT_SECONDS: 'LOGIN_POW_MIN_BITS (and REAUTH_DELAY_SECONDS for re-authentication)',
  LOGIN_MAX_LOCKOUT_SECONDS: 'LOGIN_POW_MAX_BITS (and REAUTH_MAX_DELAY_SECONDS for re-authentication)',
};

function loginThrottle(env: Env): AppConfig['loginThrottle'] {
  for (const [name, replacement] of Object.entries(RETIRED_LOGIN_SETTINGS)) {
    if (env[name] !== undefined) throw new ConfigError(name, `is no longer used: sign-ins are never locked out; see ${replacement} (docs/running.md)`);
  }
  const minBits = integer(env, 'LOGIN_POW_MIN_BITS', 16, 1, 32);
  const maxBits = integer(env, 'LOGIN_POW_MAX_BITS', 22, 1, 32);
  if (maxBits < minBits) throw new ConfigError('LOGIN_POW_MAX_BITS', `must not be below LOGIN_POW_MIN_BITS (${minBits}), got ${maxBits}`);
  return {
    freeFailures: integer(env, 'LOGIN_FREE_FAILURES', 5, 1, 1000),
    minBits,
    maxBits,
    challengeSeconds: integer(env, 'LOGIN_POW_CHALLENGE_SECONDS', 300, 10, 3600),
    knownDeviceSeconds: integer(env, 'KNOWN_DEVICE_SECONDS', 180 * 86_400, 60, 730 * 86_400),
    reauthDelaySeconds: integer(env, 'REAUTH_DELAY_SECONDS', 30, 1, 86_400),
    reauthMaxDelaySeconds: integer(env, 'REAUTH_MAX_DELAY_SECONDS', 3600, 1, 7 * 86_400),
  };
}

/**
 * The SMTP server the API sends through. Only smtp: and smtps: are accepted, with a host;
 * anything else (a typo like smtp:/host, an http URL) stops start-up here rather than at the
 * first registration.
 */
function smtpUrl(env: Env): URL {
  const value = required(env, 'SMTP_URL');
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError('SMTP_URL', 'must be a URL such as smtp://mail.example.org:587 or smtps://user:password@mail.example.org:465');
  }
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') {
    throw new ConfigError('SMTP_URL', `must use smtp: (STARTTLS when offered) or smtps: (TLS), got ${parsed.protocol}`);
  }
  if (!parsed.hostname) throw new ConfigError('SMTP_URL', 'must name the SMTP server host, e.g. smtp://mail.example.org:587');
  for (const [name, value] of parsed.searchParams) {
    if (name !== 'requireTLS' || value !== 'true') throw new ConfigError('SMTP_URL', `takes no option but requireTLS=true (refuse a server without STARTTLS), got ${name}=${value}`);
  }
  return parsed;
}

/** One address, bare or with a display name; no line breaks (they would add mail headers). */
// eslint-disable-next-line sonarjs/super-linear-regex, sonarjs/regex-complexity -- checks the operator's MAIL_FROM once at start, not request input
const MAIL_FROM = /^(?:[^\r\n<>"]*<[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+)$/;

function mailFrom(env: Env): string {
  const value = required(env, 'MAIL_FROM');
  if (!MAIL_FROM.test(value)) throw new ConfigError('MAIL_FROM', `must be an address such as "Health Records <no-reply@example.org>", got "${value}"`);
  return value;
}

/** A readable PEM file: its bytes. */
function pemFile(env: Env, name: string, value: string): Buffer {
  let bytes: Buffer;
  try {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- a file the operator's setting names, read once at start
    bytes = readFileSync(value);
  } catch (error) {
    throw new ConfigError(name, `${value} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  if (!bytes.toString('latin1').includes('-----BEGIN ')) throw new ConfigError(name, `${value} is not a PEM file`);
  return bytes;
}

/** RFC 5424 6.2.4/6.2.5: printable US-ASCII, no space, at most `max` characters. */
function syslogHeaderField(env: Env, name: string, fallback: string, max: number): string {
  const value = optional(env, name, fallback);
  if (!/^[\x21-\x7e]+$/.test(value) || value.length > max) {
    throw new ConfigError(name, `must be 1-${max} printable ASCII characters without spaces (RFC 5424), got "${value}"`);
  }
  return value;
}


/**
 * SIEM_MODE=off (default) | syslog-tls | ndjson. A variable of a mode that is not chosen is
 * refused, so that a half-made configuration does not pass for a working one.
 */
function siem(env: Env): SiemConfig {
  const mode = optional(env, 'SIEM_MODE', 'off') as SiemMode;
  if (!SIEM_MODES.includes(mode)) throw new ConfigError('SIEM_MODE', `must be one of ${SIEM_MODES.join(', ')}, got "${mode}"`);
  const syslogNames = ['SIEM_SYSLOG_HOST', 'SIEM_SYSLOG_PORT', 'SIEM_SYSLOG_CA_FILE', 'SIEM_SYSLOG_CERT_FILE', 'SIEM_SYSLOG_KEY_FILE', 'SIEM_SYSLOG_APP_NAME', 'SIEM_SYSLOG_HOSTNAME', 'SIEM_SYSLOG_TIMEOUT_MS'];
  const ndjsonNames = ['SIEM_NDJSON_FILE'];
  const foreign = mode === 'syslog-tls' ? ndjsonNames : mode === 'ndjson' ? syslogNames : [...syslogNames, ...ndjsonNames, 'SIEM_INTERVAL_MS', 'SIEM_BATCH_SIZE', 'SIEM_MAX_BACKOFF_MS'];
  for (const name of foreign) {
    if (env[name] !== undefined && env[name]?.trim() !== '') throw new ConfigError(name, `is set but SIEM_MODE is ${mode}`);
  }
  if (mode === 'off') return { mode: 'off' };
  const intervalMs = integer(env, 'SIEM_INTERVAL_MS', 1_000, 10, 3_600_000);
  const shipping: SiemShipping = {
    intervalMs,
    batchSize: integer(env, 'SIEM_BATCH_SIZE', 500, 1, 10_000),
    maxBackoffMs: integer(env, 'SIEM_MAX_BACKOFF_MS', 60_000, intervalMs, 3_600_000),
  };
  if (mode === 'ndjson') {
    const file = required(env, 'SIEM_NDJSON_FILE');
    if (!path.isAbsolute(file)) throw new ConfigError('SIEM_NDJSON_FILE', `must be an absolute path, got "${file}"`);
    try {
      accessSync(path.dirname(file), constants.W_OK);
    } catch (error) {
      throw new ConfigError('SIEM_NDJSON_FILE', `cannot be created: its folder ${path.dirname(file)} is not writable (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
    return { ...shipping, mode, file };
  }
  const host = required(env, 'SIEM_SYSLOG_HOST');
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(host)) throw new ConfigError('SIEM_SYSLOG_HOST', `must be a host name or an IP address, got "${host}"`);
  const certFile = optional(env, 'SIEM_SYSLOG_CERT_FILE', '');
  const keyFile = optional(env, 'SIEM_SYSLOG_KEY_FILE', '');
  if ((certFile === '') !== (keyFile === '')) {
    throw new ConfigError(certFile === '' ? 'SIEM_SYSLOG_CERT_FILE' : 'SIEM_SYSLOG_KEY_FILE', 'must be set together with ' + (certFile === '' ? 'SIEM_SYSLOG_KEY_FILE' : 'SIEM_SYSLOG_CERT_FILE') + ' (a client certificate and its key)');
  }
  return {
    ...shipping,
    mode,
    host,
    port: integer(env, 'SIEM_SYSLOG_PORT', 6514, 1, 65535),
    appName: syslogHeaderField(env, 'SIEM_SYSLOG_APP_NAME', 'phr-api', 48),
    hostname: syslogHeaderField(env, 'SIEM_SYSLOG_HOSTNAME', machineHostname() || '-', 255),
    timeoutMs: integer(env, 'SIEM_SYSLOG_TIMEOUT_MS', 10_000, 100, 20_000),
    ca: pemFile(env, 'SIEM_SYSLOG_CA_FILE', required(env, 'SIEM_SYSLOG_CA_FILE')),
    clientCert: certFile === '' ? null : pemFile(env, 'SIEM_SYSLOG_CERT_FILE', certFile),
    clientKey: keyFile === '' ? null : pemFile(env, 'SIEM_SYSLOG_KEY_FILE', keyFile),
  };
}

/** REQUIRE_SECOND_FACTOR_ROLES: a comma-separated list of roles, e.g. `doctor,auditor`; empty for none. */
function requiredSecondFactorRoles(env: Env): Role[] {
  const names = optional(env, 'REQUIRE_SECOND_FACTOR_ROLES', '').split(',').map((name) => name.trim()).filter(Boolean);
  for (const name of names) {
    if (!(ROLES as readonly string[]).includes(name)) throw new ConfigError('REQUIRE_SECOND_FACTOR_ROLES', `must list roles among ${ROLES.join(', ')}, got "${name}"`);
  }
  return [...new Set(names as Role[])];
}

/**
 * The key that seals TOTP secrets: TOTP_SECRET_KEY (32+ random bytes) when set; otherwise a key
 * derived from PRELOGIN_SECRET with HKDF-SHA256, a separate key for a separate purpose. Set
 * TOTP_SECRET_KEY before ever rotating PRELOGIN_SECRET: a new key cannot open the sealed secrets
 * (docs/running.md "Second factors").
 */
function totpSecretKey(env: Env, preloginSecret: Buffer): Buffer {
  if (optional(env, 'TOTP_SECRET_KEY', '') !== '') return secret(env, 'TOTP_SECRET_KEY').subarray(0, 32);
  return Buffer.from(hkdfSync('sha256', preloginSecret, Buffer.alloc(0), 'phr totp secret sealing', 32));
}

function rateLimit(env: Env, limitName: string, limit: number, windowName: string, windowSeconds: number): RateLimit {
  return { limit: integer(env, limitName, limit, 1, 10_000_000), windowSeconds: integer(env, windowName, windowSeconds, 1, 86_400) };
}

/**
 * TLS to PostgreSQL is set in DATABASE_URL the libpq way, and node-postgres
 * applies it (ASVS 9.2.2): `sslmode=verify-full` (node-postgres treats
 * `require` and `verify-ca` the same: certificate and host name are checked)
 * with `sslrootcert=<CA file>` for a private CA. Checked here so that a typo
 * does not turn into an unverified or a failing connection later: modes that
 * would skip verification or fall back to plain TCP are refused, and the
 * certificate files must be readable.
 */
const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'];
const SSL_FILES = ['sslrootcert', 'sslcert', 'sslkey'];

function databaseTls(databaseUrl: URL): void {
  const params = databaseUrl.searchParams;
  const mode = params.get('sslmode');
  if (mode !== null && !SSL_MODES.includes(mode)) {
    throw new ConfigError('DATABASE_URL', `sslmode must be one of ${SSL_MODES.join(', ')} (verify-full with sslrootcert for a private CA), got "${mode}"`);
  }
  if (params.has('uselibpqcompat')) throw new ConfigError('DATABASE_URL', 'uselibpqcompat is not supported: with it, sslmode=require skips certificate verification');
  for (const name of SSL_FILES) {
    const file = params.get(name);
    if (file === null) continue;
    if (mode === 'disable') throw new ConfigError('DATABASE_URL', `${name} is given but sslmode=disable`);
    try {
      accessSync(file, constants.R_OK);
    } catch (error) {
      throw new ConfigError('DATABASE_URL', `${name} ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
  }
}

/** The hosts of DATABASE_URL: one, or the nodes of a failover formation (config/database-url.ts). */
function databaseHostsFrom(env: Env): DatabaseHost[] {
  try {
    return databaseHostsOf(required(env, 'DATABASE_URL'));
  } catch (error) {
    if (error instanceof DatabaseUrlError) throw new ConfigError('DATABASE_URL', error.message);
    throw error;
  }
}

/**
 * Every wait on PostgreSQL ends (ASVS 16.5.x: fail safely): a frozen or
 * overloaded server costs a request at most about connect + query timeouts,
 * then it is answered 503 with Retry-After. The client-side query timeout
 * must outlast the server's statement timeout, so a slow statement is
 * cancelled by PostgreSQL (the connection stays usable) before the API gives
 * up on the connection.
 */
function databaseTimeouts(env: Env): Pick<AppConfig['database'], 'connectTimeoutMs' | 'statementTimeoutMs' | 'lockTimeoutMs' | 'queryTimeoutMs'> {
  const statementTimeoutMs = integer(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 10_000, 100, 600_000);
  const queryTimeoutMs = integer(env, 'DATABASE_QUERY_TIMEOUT_MS', statementTimeoutMs + 2_000, 200, 660_000);
  if (queryTimeoutMs <= statementTimeoutMs) {
    throw new ConfigError('DATABASE_QUERY_TIMEOUT_MS', `must be longer than DATABASE_STATEMENT_TIMEOUT_MS (${statementTimeoutMs}), got ${queryTimeoutMs}`);
  }
  return {
    connectTimeoutMs: integer(env, 'DATABASE_CONNECT_TIMEOUT_MS', 5_000, 100, 120_000),
    statementTimeoutMs,
    lockTimeoutMs: integer(env, 'DATABASE_LOCK_TIMEOUT_MS', 5_000, 100, 600_000),
    queryTimeoutMs,
  };
}

export function loadConfig(env: Env = process.env): AppConfig {
  const databaseHosts = databaseHostsFrom(env);
  // The hosts' URLs differ in the host alone: the first stands for all.
  databaseTls(url(env, 'DATABASE_URL', databaseHosts[0].url, ['postgres:', 'postgresql:']));
  const s3Endpoint = url(env, 'S3_ENDPOINT', required(env, 'S3_ENDPOINT'), ['http:', 'https:']);
  const accessTokenSeconds = integer(env, 'ACCESS_TOKEN_SECONDS', ACCESS_TOKEN_MAX_SECONDS, 30, ACCESS_TOKEN_MAX_SECONDS);
  const keyId = optional(env, 'JWT_KEY_ID', 'k1');
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(keyId)) throw new ConfigError('JWT_KEY_ID', 'must be 1-64 characters of A-Z a-z 0-9 . _ -');
  const bucket = optional(env, 'S3_BUCKET', 'phr-records');
  const preloginSecret = secret(env, 'PRELOGIN_SECRET');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new ConfigError('S3_BUCKET', 'is not a valid bucket name');

  return {
    host: optional(env, 'HOST', '127.0.0.1'),
    port: integer(env, 'PORT', 3000, 0, 65535),
    trustProxy: boolean(env, 'TRUST_PROXY', false),
    portalOrigin: url(env, 'PORTAL_ORIGIN', optional(env, 'PORTAL_ORIGIN', 'http://localhost:5173'), ['http:', 'https:']).origin,
    database: {
      url: databaseHosts[0].url,
      hosts: databaseHosts,
      poolSize: integer(env, 'DATABASE_POOL_SIZE', 10, 1, 200),
      ...databaseTimeouts(env),
    },
    s3: {
      endpoint: s3Endpoint,
      publicEndpoint: url(env, 'S3_PUBLIC_ENDPOINT', optional(env, 'S3_PUBLIC_ENDPOINT', s3Endpoint.href), ['http:', 'https:']),
      accessKey: required(env, 'S3_ACCESS_KEY'),
      secretKey: required(env, 'S3_SECRET_KEY'),
      bucket,
      region: optional(env, 'S3_REGION', 'us-east-1'),
      timeoutMs: integer(env, 'S3_TIMEOUT_MS', 5_000, 100, 120_000),
    },
    jwt: { secret: secret(env, 'JWT_SECRET'), keyId, accessTokenSeconds },
    keyLog: keyLog(env),
    refreshTokenSeconds: integer(env, 'REFRESH_TOKEN_SECONDS', 7 * 24 * 3600, 60, 90 * 24 * 3600),
    session: sessionLimits(env),
    endedSessionRetentionSeconds: integer(env, 'ENDED_SESSION_RETENTION_SECONDS', 7 * 24 * 3600, 0, 365 * 24 * 3600),
    cookieSecure: boolean(env, 'COOKIE_SECURE', true),
    preloginSecret,
    secondFactors: { requiredRoles: requiredSecondFactorRoles(env), totpSecretKey: totpSecretKey(env, preloginSecret) },
    kdfIterations: integer(env, 'KDF_ITERATIONS', KDF_MIN_ITERATIONS, KDF_MIN_ITERATIONS, KDF_MAX_ITERATIONS),
    loginThrottle: loginThrottle(env),
    rateLimits: {
      general: rateLimit(env, 'RATE_LIMIT_REQUESTS', 600, 'RATE_LIMIT_WINDOW_SECONDS', 60),
      registration: rateLimit(env, 'RATE_LIMIT_REGISTRATIONS', 20, 'RATE_LIMIT_REGISTRATION_WINDOW_SECONDS', 3600),
      registrationMail: rateLimit(env, 'RATE_LIMIT_REGISTRATION_MAILS', 3, 'RATE_LIMIT_REGISTRATION_MAIL_WINDOW_SECONDS', 3600),
      doctorSearch: rateLimit(env, 'RATE_LIMIT_DOCTOR_SEARCHES', 60, 'RATE_LIMIT_DOCTOR_SEARCH_WINDOW_SECONDS', 60),
      secondFactor: rateLimit(env, 'RATE_LIMIT_SECOND_FACTOR_ATTEMPTS', 10, 'RATE_LIMIT_SECOND_FACTOR_WINDOW_SECONDS', 300),
    },
    rateLimitSyncMilliseconds: integer(env, 'RATE_LIMIT_SYNC_MS', 200, 10, 10_000),
    mail: { smtpUrl: smtpUrl(env), from: mailFrom(env), retrySeconds: integer(env, 'MAIL_RETRY_SECONDS', 30, 1, 3600) },
    notifications: {
      mailIntervalSeconds: integer(env, 'NOTIFICATION_MAIL_INTERVAL_SECONDS', 60, 0, 86_400),
      mailGapSeconds: integer(env, 'NOTIFICATION_MAIL_GAP_SECONDS', 3600, 0, 7 * 86_400),
    },
    siem: siem(env),
    registrationLinkSeconds: integer(env, 'REGISTRATION_LINK_SECONDS', 3600, 60, 7 * 86_400),
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 64 * 1024, 1024, 16 * 1024 * 1024),
    timeouts: {
      requestMs: integer(env, 'REQUEST_TIMEOUT_MS', 30_000, 100, 600_000),
      connectionMs: integer(env, 'CONNECTION_TIMEOUT_MS', 60_000, 100, 3_600_000),
      keepAliveMs: integer(env, 'KEEP_ALIVE_TIMEOUT_MS', 72_000, 100, 600_000),
    },
    records: {
      maxBytes: integer(env, 'RECORD_MAX_BYTES', 5 * 1024 ** 3, 1, 64 * 1024 ** 3),
      uploadUrlSeconds: integer(env, 'UPLOAD_URL_SECONDS', 900, 2, 3600),
      downloadUrlSeconds: integer(env, 'DOWNLOAD_URL_SECONDS', 60, 2, 600),
      uploadGraceSeconds: integer(env, 'UPLOAD_GRACE_SECONDS', 3600, 0, 7 * 86_400),
      sweepIntervalSeconds: integer(env, 'SWEEP_INTERVAL_SECONDS', 300, 0, 86_400),
      reconcileIntervalSeconds: integer(env, 'RECONCILE_INTERVAL_SECONDS', 6 * 3600, 0, 30 * 86_400),
      trashRetentionSeconds: integer(env, 'TRASH_RETENTION_SECONDS', TRASH_RETENTION_DAYS * 86_400, 1, 365 * 86_400),
    },
  };
}

/** Injection token of the AppConfig object. */
export const APP_CONFIG = Symbol('APP_CONFIG');
