import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { keyLogPublicKeyOf, newKeyLogSigningKey } from '@phr/infra/local/local-secrets.js';
import { loadConfig } from '../src/config/app-config.js';
import { validConfigEnv } from './support/config-env.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const VALID = validConfigEnv();

/** Private keys that are not an ECDSA P-256 log key, PKCS#8 DER, base64url. */
const pkcs8Of = (key: ReturnType<typeof generateKeyPairSync>['privateKey']) => key.export({ type: 'pkcs8', format: 'der' }).toString('base64url');
const P384_KEY = pkcs8Of(generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey);
const ED25519_KEY = pkcs8Of(generateKeyPairSync('ed25519').privateKey);

describe('configuration is validated once, and a bad value names its variable', () => {
  it('accepts a complete configuration and fills in safe defaults', () => {
    const config = loadConfig(VALID);
    expect(config.jwt.accessTokenSeconds).toBe(900);
    expect(config.kdfIterations).toBe(600_000);
    expect(config.cookieSecure).toBe(true);
    expect(config.s3.publicEndpoint.href).toBe('http://127.0.0.1:9000/');
    expect(config.timeouts).toEqual({ requestMs: 30_000, connectionMs: 60_000, keepAliveMs: 72_000 });
  });

  it('reads a DATABASE_URL that lists the nodes of a failover formation (pg_autoctl show uri) as one URL per host', () => {
    const single = loadConfig(VALID).database;
    expect(single.url).toBe(VALID.DATABASE_URL);
    expect(single.hosts).toEqual([{ host: '127.0.0.1', port: 5432, url: VALID.DATABASE_URL }]);

    const formation = loadConfig({ ...VALID, DATABASE_URL: 'postgresql://phr_app:p%40ss@db1:6001,db2,[fd00::7]:6003/phr?target_session_attrs=read-write&sslmode=disable' }).database;
    const rest = '/phr?target_session_attrs=read-write&sslmode=disable';
    expect(formation.hosts).toEqual([
      { host: 'db1', port: 6001, url: `postgresql://phr_app:p%40ss@db1:6001${rest}` },
      { host: 'db2', port: 5432, url: `postgresql://phr_app:p%40ss@db2${rest}` },
      { host: 'fd00::7', port: 6003, url: `postgresql://phr_app:p%40ss@[fd00::7]:6003${rest}` },
    ]);
    expect(formation.url).toBe(formation.hosts[0].url);
  });

  it('limits sessions to 30 idle minutes and 12 hours by default, and takes other limits from the environment (ASVS 3.3.2)', () => {
    expect(loadConfig(VALID).session).toEqual({ idleSeconds: 1800, maxSeconds: 43_200 });
    expect(loadConfig({ ...VALID, SESSION_IDLE_SECONDS: '600', SESSION_MAX_SECONDS: '3600' }).session).toEqual({ idleSeconds: 600, maxSeconds: 3600 });
  });

  it('rate-limits every client, registrations and doctor searches by default, each limit configurable (ASVS 8.1.4)', () => {
    expect(loadConfig(VALID).rateLimits).toEqual({
      general: { limit: 600, windowSeconds: 60 },
      registration: { limit: 20, windowSeconds: 3600 },
      registrationMail: { limit: 3, windowSeconds: 3600 },
      doctorSearch: { limit: 60, windowSeconds: 60 },
      secondFactor: { limit: 10, windowSeconds: 300 },
    });
    const tuned = loadConfig({
      ...VALID,
      RATE_LIMIT_REQUESTS: '5',
      RATE_LIMIT_WINDOW_SECONDS: '10',
      RATE_LIMIT_REGISTRATIONS: '2',
      RATE_LIMIT_REGISTRATION_MAILS: '1',
      RATE_LIMIT_REGISTRATION_MAIL_WINDOW_SECONDS: '86400',
      RATE_LIMIT_DOCTOR_SEARCH_WINDOW_SECONDS: '30',
      RATE_LIMIT_SECOND_FACTOR_ATTEMPTS: '4',
    });
    expect(tuned.rateLimits).toEqual({
      general: { limit: 5, windowSeconds: 10 },
      registration: { limit: 2, windowSeconds: 3600 },
      registrationMail: { limit: 1, windowSeconds: 86_400 },
      doctorSearch: { limit: 60, windowSeconds: 30 },
      secondFactor: { limit: 4, windowSeconds: 300 },
    });
  });

  it('requires a second factor of no role unless REQUIRE_SECOND_FACTOR_ROLES names some, and seals TOTP secrets under TOTP_SECRET_KEY or a key derived from PRELOGIN_SECRET', () => {
    const plain = loadConfig(VALID).secondFactors;
    expect(plain.requiredRoles).toEqual([]);
    expect(plain.totpSecretKey).toHaveLength(32);
    expect(plain.totpSecretKey.equals(loadConfig(VALID).preloginSecret)).toBe(false);
    expect(loadConfig({ ...VALID, REQUIRE_SECOND_FACTOR_ROLES: ' doctor, auditor ,doctor' }).secondFactors.requiredRoles).toEqual(['doctor', 'auditor']);
    expect(() => loadConfig({ ...VALID, REQUIRE_SECOND_FACTOR_ROLES: 'doctor,admin' })).toThrow(/REQUIRE_SECOND_FACTOR_ROLES must list roles among patient, doctor, auditor, operator, got "admin"/);
    const own = Buffer.alloc(32, 7);
    expect(loadConfig({ ...VALID, TOTP_SECRET_KEY: own.toString('base64') }).secondFactors.totpSecretKey.equals(own)).toBe(true);
    expect(() => loadConfig({ ...VALID, TOTP_SECRET_KEY: 'short' })).toThrow(/TOTP_SECRET_KEY must hold at least 32 random bytes/);
  });

  it('syncs rate-limit counters between instances every 200 ms by default, configurable', () => {
    expect(loadConfig(VALID).rateLimitSyncMilliseconds).toBe(200);
    expect(loadConfig({ ...VALID, RATE_LIMIT_SYNC_MS: '1000' }).rateLimitSyncMilliseconds).toBe(1000);
    expect(() => loadConfig({ ...VALID, RATE_LIMIT_SYNC_MS: '0' })).toThrow(/RATE_LIMIT_SYNC_MS must be between 10 and/);
  });

  it('demands a proof of work after 5 failures, from 16 bits up to 22, and takes other numbers from the environment (ASVS 5.0 6.1.1)', () => {
    expect(loadConfig(VALID).loginThrottle).toEqual({
      freeFailures: 5,
      minBits: 16,
      maxBits: 22,
      challengeSeconds: 300,
      knownDeviceSeconds: 180 * 86_400,
      reauthDelaySeconds: 30,
      reauthMaxDelaySeconds: 3600,
    });
    expect(loadConfig({ ...VALID, LOGIN_FREE_FAILURES: '3', LOGIN_POW_MIN_BITS: '8', LOGIN_POW_MAX_BITS: '12' }).loginThrottle).toMatchObject({ freeFailures: 3, minBits: 8, maxBits: 12 });
  });

  it.each(['LOGIN_MAX_FAILURES', 'LOGIN_IP_FACTOR', 'LOGIN_LOCKOUT_SECONDS', 'LOGIN_MAX_LOCKOUT_SECONDS'])(
    'refuses the retired lockout setting %s, naming what replaced it',
    (name) => {
      expect(() => loadConfig({ ...VALID, [name]: '5' })).toThrow(`Configuration error: ${name} is no longer used: sign-ins are never locked out`);
    },
  );

  it('sends mail through SMTP_URL, smtp:// or smtps://, with user, password and requireTLS taken from the URL', () => {
    expect(loadConfig(VALID).mail).toEqual({ smtpUrl: new URL('smtp://mail.example.org:587'), from: 'Health Records <no-reply@example.org>', retrySeconds: 30 });
    const tls = loadConfig({ ...VALID, SMTP_URL: 'smtps://robot%40example.org:p%40ss@mail.example.org:465', MAIL_FROM: 'no-reply@example.org' }).mail;
    expect({ protocol: tls.smtpUrl.protocol, user: decodeURIComponent(tls.smtpUrl.username), from: tls.from }).toEqual({ protocol: 'smtps:', user: 'robot@example.org', from: 'no-reply@example.org' });
    expect(loadConfig({ ...VALID, SMTP_URL: 'smtp://mail.example.org?requireTLS=true' }).mail.smtpUrl.searchParams.get('requireTLS')).toBe('true');
    expect(loadConfig(VALID).registrationLinkSeconds).toBe(3600);
  });

  it('takes the key directory’s log key, with its public half and key id', () => {
    const { keyLog } = loadConfig(VALID);
    const spki = Buffer.from(keyLogPublicKeyOf(VALID.KEY_LOG_SIGNING_KEY), 'base64url');
    expect(keyLog.publicKey).toBe(spki.toString('base64url'));
    expect(keyLog.keyId).toBe(createHash('sha256').update(spki).digest('hex'));
    expect(keyLog.signingKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    // The published public half (what the portal was built with) may be given too, and must match.
    expect(loadConfig({ ...VALID, KEY_LOG_PUBLIC_KEY: keyLog.publicKey }).keyLog.keyId).toBe(keyLog.keyId);
  });

  it.each([
    ['KEY_LOG_SIGNING_KEY', { KEY_LOG_SIGNING_KEY: undefined }, /KEY_LOG_SIGNING_KEY is required/],
    ['KEY_LOG_SIGNING_KEY', { KEY_LOG_SIGNING_KEY: 'not a key' }, /KEY_LOG_SIGNING_KEY must be an ECDSA P-256 private key, PKCS#8 DER in base64url/],
    ['KEY_LOG_SIGNING_KEY', { KEY_LOG_SIGNING_KEY: Buffer.alloc(138, 1).toString('base64url') }, /KEY_LOG_SIGNING_KEY must be an ECDSA P-256 private key/],
    ['KEY_LOG_SIGNING_KEY', { KEY_LOG_SIGNING_KEY: P384_KEY }, /KEY_LOG_SIGNING_KEY must be an ECDSA P-256 private key.*got a ec key on secp384r1/],
    ['KEY_LOG_SIGNING_KEY', { KEY_LOG_SIGNING_KEY: ED25519_KEY }, /KEY_LOG_SIGNING_KEY must be an ECDSA P-256 private key.*got a ed25519 key/],
    ['KEY_LOG_PUBLIC_KEY', { KEY_LOG_PUBLIC_KEY: keyLogPublicKeyOf(newKeyLogSigningKey()) }, /KEY_LOG_PUBLIC_KEY is not the public half of KEY_LOG_SIGNING_KEY/],
    ['DATABASE_URL', { DATABASE_URL: undefined }, /DATABASE_URL is required/],
    ['SMTP_URL', { SMTP_URL: undefined }, /SMTP_URL is required/],
    ['SMTP_URL', { SMTP_URL: 'mail.example.org:25' }, /SMTP_URL must use smtp: \(STARTTLS when offered\) or smtps: \(TLS\), got mail.example.org:/],
    ['SMTP_URL', { SMTP_URL: 'http://mail.example.org' }, /SMTP_URL must use smtp: \(STARTTLS when offered\) or smtps: \(TLS\), got http:/],
    ['SMTP_URL', { SMTP_URL: 'not a url' }, /SMTP_URL must be a URL such as smtp:\/\/mail.example.org:587/],
    ['SMTP_URL', { SMTP_URL: 'smtp://mail.example.org?secure=false' }, /SMTP_URL takes no option but requireTLS=true/],
    ['MAIL_FROM', { MAIL_FROM: undefined }, /MAIL_FROM is required/],
    ['MAIL_FROM', { MAIL_FROM: 'nobody' }, /MAIL_FROM must be an address/],
    ['MAIL_FROM', { MAIL_FROM: 'a@example.org\nBcc: b@example.org' }, /MAIL_FROM must be an address/],
    ['MAIL_RETRY_SECONDS', { MAIL_RETRY_SECONDS: '0' }, /MAIL_RETRY_SECONDS must be between 1 and 3600/],
    ['REGISTRATION_LINK_SECONDS', { REGISTRATION_LINK_SECONDS: '10' }, /REGISTRATION_LINK_SECONDS must be between 60 and 604800/],
    ['RATE_LIMIT_REGISTRATION_MAILS', { RATE_LIMIT_REGISTRATION_MAILS: 'lots' }, /RATE_LIMIT_REGISTRATION_MAILS must be a whole number/],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://x' }, /DATABASE_URL must use postgres/],
    ['DATABASE_URL', { DATABASE_URL: 'postgres://u:p@db1:5432,db2:5432/phr?target_session_attrs=any' }, /DATABASE_URL lists several hosts with target_session_attrs=any/],
    ['DATABASE_URL', { DATABASE_URL: 'postgres://u:p@db1:5432,db1:5432/phr' }, /DATABASE_URL lists the same host twice/],
    ['DATABASE_URL', { DATABASE_URL: 'postgres://u:p@db1,,db2/phr' }, /DATABASE_URL lists an empty host/],
    ['DATABASE_URL', { DATABASE_URL: 'postgres://u:p@db1:5432,db2:99999/phr' }, /DATABASE_URL has an invalid port "99999"/],
    ['DATABASE_URL', { DATABASE_URL: 'postgres://u:p@db1,db2/phr?sslmode=prefer' }, /DATABASE_URL sslmode must be one of/],
    ['S3_ENDPOINT', { S3_ENDPOINT: 'not a url' }, /S3_ENDPOINT must be a URL/],
    ['JWT_SECRET', { JWT_SECRET: 'short' }, /JWT_SECRET must hold at least 32 random bytes/],
    ['PRELOGIN_SECRET', { PRELOGIN_SECRET: undefined }, /PRELOGIN_SECRET is required/],
    ['PORT', { PORT: 'eighty' }, /PORT must be a whole number/],
    ['ACCESS_TOKEN_SECONDS', { ACCESS_TOKEN_SECONDS: '3600' }, /ACCESS_TOKEN_SECONDS must be between 30 and 900/],
    ['KDF_ITERATIONS', { KDF_ITERATIONS: '1000' }, /KDF_ITERATIONS must be between 600000/],
    ['COOKIE_SECURE', { COOKIE_SECURE: 'maybe' }, /COOKIE_SECURE must be true or false/],
    ['LOGIN_POW_MAX_BITS', { LOGIN_POW_MAX_BITS: '33' }, /LOGIN_POW_MAX_BITS must be between 1 and 32/],
    ['LOGIN_POW_MAX_BITS', { LOGIN_POW_MIN_BITS: '20', LOGIN_POW_MAX_BITS: '18' }, /LOGIN_POW_MAX_BITS must not be below LOGIN_POW_MIN_BITS/],
    ['S3_BUCKET', { S3_BUCKET: 'Bad_Bucket' }, /S3_BUCKET is not a valid bucket name/],
    ['JWT_KEY_ID', { JWT_KEY_ID: 'has space' }, /JWT_KEY_ID must be/],
    ['REQUEST_TIMEOUT_MS', { REQUEST_TIMEOUT_MS: '0' }, /REQUEST_TIMEOUT_MS must be between 100 and 600000/],
    ['CONNECTION_TIMEOUT_MS', { CONNECTION_TIMEOUT_MS: 'forever' }, /CONNECTION_TIMEOUT_MS must be a whole number/],
    ['KEEP_ALIVE_TIMEOUT_MS', { KEEP_ALIVE_TIMEOUT_MS: '-5' }, /KEEP_ALIVE_TIMEOUT_MS must be a whole number/],
    ['SESSION_IDLE_SECONDS', { SESSION_IDLE_SECONDS: '10' }, /SESSION_IDLE_SECONDS must be between 60 and 604800/],
    ['SESSION_MAX_SECONDS', { SESSION_MAX_SECONDS: 'a day' }, /SESSION_MAX_SECONDS must be a whole number/],
    ['SESSION_IDLE_SECONDS', { SESSION_IDLE_SECONDS: '7200', SESSION_MAX_SECONDS: '3600' }, /SESSION_IDLE_SECONDS must not exceed SESSION_MAX_SECONDS/],
    ['RATE_LIMIT_REQUESTS', { RATE_LIMIT_REQUESTS: '0' }, /RATE_LIMIT_REQUESTS must be between 1 and/],
    ['RATE_LIMIT_WINDOW_SECONDS', { RATE_LIMIT_WINDOW_SECONDS: '1m' }, /RATE_LIMIT_WINDOW_SECONDS must be a whole number/],
    ['RATE_LIMIT_REGISTRATIONS', { RATE_LIMIT_REGISTRATIONS: '-1' }, /RATE_LIMIT_REGISTRATIONS must be a whole number/],
    ['RATE_LIMIT_DOCTOR_SEARCHES', { RATE_LIMIT_DOCTOR_SEARCHES: 'many' }, /RATE_LIMIT_DOCTOR_SEARCHES must be a whole number/],
  ])('refuses a bad %s', (_name, change, message) => {
    expect(() => loadConfig({ ...VALID, ...change })).toThrow(message);
  });

  it('stops the API process at start with a message naming the variable', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'backend/src/main.ts'], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, TSX_TSCONFIG_PATH: 'backend/tsconfig.json', ...VALID, JWT_SECRET: 'too-short' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Configuration error: JWT_SECRET must hold at least 32 random bytes');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
