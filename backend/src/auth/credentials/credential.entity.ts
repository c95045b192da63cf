import { Column, Entity, PrimaryColumn } from 'typeorm';

/** What signs an account in and unlocks its keys; none of it opens anything without the password. */
@Entity({ name: 'credentials' })
export class CredentialEntity {
  @PrimaryColumn({ type: 'uuid', name: 'user_id' })
  userId: string;

  /** argon2id of the auth key (DESIGN 4.1); the password never reaches the server. */
  @Column({ type: 'text', name: 'auth_hash' })
  authHash: string;

  @Column({ type: 'integer', name: 'kdf_iterations' })
  kdfIterations: number;

  @Column({ type: 'text', name: 'kdf_salt' })
  kdfSalt: string;

  @Column({ type: 'text', name: 'wrapped_account_key' })
  wrappedAccountKey: string;

  @Column({ type: 'text', name: 'wrapped_private_key' })
  wrappedPrivateKey: string;

  @Column({ type: 'text', name: 'recovery_auth_hash' })
  recoveryAuthHash: string;

  @Column({ type: 'text', name: 'recovery_wrapped_account_key' })
  recoveryWrappedAccountKey: string;

  /** The generation of the account key in force (docs/protocol.md "Account-key rotation"). */
  @Column({ type: 'integer', name: 'key_generation', default: 1 })
  keyGeneration: number;

  @Column({ type: 'timestamptz', name: 'updated_at', default: () => 'now()' })
  updatedAt: Date;
}
