import { Injectable } from '@nestjs/common';
import type { PendingKeyRotation, Role } from '@phr/shared-types';
import type { StandingRow } from '../../clinicians/clinicians.repository.js';
import { Db } from '../../db/db.service.js';
import { prepared } from '../../db/prepared-statements.js';
import type { UserRow } from '../../users/users.repository.js';

/** What a new session's answer tells the browser about its account, read at once. */
export interface SessionBodyRow {
  user: UserRow;
  kdfIterations: number;
  kdfSalt: string;
  wrappedAccountKey: string;
  wrappedPrivateKey: string;
  publicKey: string;
  fingerprint: string;
  /** The doctor's own standing (RLS shows a doctor only their own row); null for an account that is no doctor. */
  standing: StandingRow | null;
  /** The account key in force, and the new key's wraps while a rotation is under way (docs/protocol.md "Account-key rotation"). */
  keyGeneration: number;
  rotation: PendingKeyRotation | null;
}

/**
 * The account's row, its credential's key material, its public key, its
 * clinician standing and its key generation in one statement (issue 14: one
 * round trip instead of five at every sign-in). Reads `users`, `credentials`,
 * `public_keys`, `clinicians` and `account_key_rotations` under RLS as the
 * account; their writes stay in their modules. The credentials row stays
 * locked (shared) until the transaction ends, as KeyGenerations locks it: no
 * rotation starts or finishes between this read and the commit, so the keys a
 * sign-in hands out are still the ones in force.
 */
@Injectable()
export class SessionBodiesRepository {
  constructor(private readonly db: Db) {}

  async get(userId: string): Promise<SessionBodyRow> {
    const [row] = await this.db.manager().query<
      Array<{
        id: string;
        email: string;
        display_name: string;
        role: Role;
        specialty: string | null;
        created_at: Date;
        kdf_iterations: number;
        kdf_salt: string;
        wrapped_account_key: string;
        wrapped_private_key: string;
        public_key: string;
        fingerprint: string;
        status: StandingRow['status'] | null;
        licence: string | null;
        organisation: string | null;
        verified_by_name: string | null;
        verified_at: Date | null;
        reason: string | null;
        key_generation: number;
        rotation_generation: number | null;
        rotation_wrapped_account_key: string | null;
        rotation_wrapped_private_key: string | null;
      }>
    >(
      prepared(`SELECT u.id, u.email, u.display_name, u.role, u.specialty, u.created_at,
              c.kdf_iterations, c.kdf_salt, c.wrapped_account_key, c.wrapped_private_key,
              p.public_key, p.fingerprint,
              cl.status, cl.licence, cl.organisation, cl.verified_by_name, cl.verified_at, cl.reason,
              c.key_generation, r.generation AS rotation_generation,
              r.wrapped_account_key AS rotation_wrapped_account_key, r.wrapped_private_key AS rotation_wrapped_private_key
       FROM users u
       JOIN credentials c ON c.user_id = u.id
       JOIN public_keys p ON p.user_id = u.id
       LEFT JOIN clinicians cl ON cl.user_id = u.id
       LEFT JOIN account_key_rotations r ON r.user_id = u.id
       WHERE u.id = $1
       FOR SHARE OF c`),
      [userId],
    );
    if (!row) throw new Error(`No account, credential or public key for ${userId}`);
    const standing: StandingRow | null =
      row.status === null
        ? null
        : { status: row.status, licence: row.licence ?? '', organisation: row.organisation ?? '', verified_by_name: row.verified_by_name, verified_at: row.verified_at, reason: row.reason };
    return {
      user: { id: row.id, email: row.email, displayName: row.display_name, role: row.role, specialty: row.specialty, createdAt: row.created_at },
      kdfIterations: row.kdf_iterations,
      kdfSalt: row.kdf_salt,
      wrappedAccountKey: row.wrapped_account_key,
      wrappedPrivateKey: row.wrapped_private_key,
      publicKey: row.public_key,
      fingerprint: row.fingerprint,
      standing,
      keyGeneration: row.key_generation,
      rotation:
        row.rotation_generation === null
          ? null
          : { generation: row.rotation_generation, wrappedAccountKey: row.rotation_wrapped_account_key as string, wrappedPrivateKey: row.rotation_wrapped_private_key as string },
    };
  }
}
