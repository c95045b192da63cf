import { Injectable } from '@nestjs/common';
import { Db } from '../../db/db.service.js';
import { prepared } from '../../db/prepared-statements.js';

/** Which stored secret an attempt is checked against; null when none is (a proof-of-work request). */
export type SecretColumn = 'authHash' | 'recoveryAuthHash' | null;

export interface SignInFactsQuery {
  /** The account the email names, or null: every value below then comes back empty (the same statement either way). */
  userId: string | null;
  secret: SecretColumn;
  /** SHA-256(account id ‖ device token) of the request's device cookie, when it brought a well-formed one. */
  deviceTokenHash: Buffer | null;
  accountKey: string;
  /** The throttle key of this client as a known device, and as an IP; which one counts depends on `deviceExpiresAt`. */
  deviceClientKey: string | null;
  ipClientKey: string;
  failureWindowSeconds: number;
}

export interface SignInFacts {
  storedHash: string | null;
  hasSecurityKey: boolean;
  /** A confirmed authenticator app (TOTP). */
  hasTotp: boolean;
  deviceExpiresAt: Date | null;
  accountFailures: number;
  deviceClientFailures: number;
  ipClientFailures: number;
}

/**
 * Everything a sign-in attempt must know before its secret is checked, in one
 * statement instead of five (issue 14): the stored hash, whether the account
 * has a security key or an authenticator app, whether the device cookie names a live known device, and
 * the throttle's counts. It reads `credentials`, `security_keys`, `totp_factors`,
 * `known_devices` (under RLS as the account) and `login_throttle`; the writes
 * to those tables stay in their own repositories.
 */
@Injectable()
export class SignInFactsRepository {
  constructor(private readonly db: Db) {}

  async read(query: SignInFactsQuery): Promise<SignInFacts> {
    const [row] = await this.db.manager().query<
      Array<{
        stored_hash: string | null;
        has_security_key: boolean;
        has_totp: boolean;
        device_expires_at: Date | null;
        account_failures: number;
        device_client_failures: number;
        ip_client_failures: number;
      }>
    >(
      prepared(`SELECT
         (SELECT CASE $2::text WHEN 'authHash' THEN c.auth_hash WHEN 'recoveryAuthHash' THEN c.recovery_auth_hash END
            FROM credentials c WHERE c.user_id = $1::uuid) AS stored_hash,
         EXISTS (SELECT 1 FROM security_keys k WHERE k.user_id = $1::uuid) AS has_security_key,
         EXISTS (SELECT 1 FROM totp_factors f WHERE f.user_id = $1::uuid AND f.confirmed_at IS NOT NULL) AS has_totp,
         (SELECT d.expires_at FROM known_devices d WHERE d.user_id = $1::uuid AND d.token_hash = $3::bytea) AS device_expires_at,
         COALESCE((SELECT t.failures FROM login_throttle t WHERE t.key = $4 AND t.updated_at >= now() - make_interval(secs => $7)), 0) AS account_failures,
         COALESCE((SELECT t.failures FROM login_throttle t WHERE t.key = $5 AND t.updated_at >= now() - make_interval(secs => $7)), 0) AS device_client_failures,
         COALESCE((SELECT t.failures FROM login_throttle t WHERE t.key = $6 AND t.updated_at >= now() - make_interval(secs => $7)), 0) AS ip_client_failures`),
      [query.userId, query.secret, query.deviceTokenHash, query.accountKey, query.deviceClientKey, query.ipClientKey, query.failureWindowSeconds],
    );
    return {
      storedHash: row.stored_hash,
      hasSecurityKey: row.has_security_key,
      hasTotp: row.has_totp,
      deviceExpiresAt: row.device_expires_at,
      accountFailures: row.account_failures,
      deviceClientFailures: row.device_client_failures,
      ipClientFailures: row.ip_client_failures,
    };
  }
}
