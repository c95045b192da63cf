import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An enrolled WebAuthn authenticator: the second factor of its owner's sign-in (ASVS 2.3.2). */
@Entity({ name: 'security_keys' })
export class SecurityKeyEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'uuid', name: 'user_id' })
  userId: string;

  /** The authenticator's credential id, base64url. */
  @Column({ type: 'text', name: 'credential_id' })
  credentialId: string;

  /** COSE_Key of the credential, as the attestation carried it. */
  @Column({ type: 'bytea', name: 'public_key' })
  publicKey: Buffer;

  /** The last signature counter seen; an assertion that does not exceed it is refused (a cloned key). */
  @Column({ type: 'bigint', name: 'sign_count', transformer: { to: (value: number) => value, from: (value: string) => Number(value) } })
  signCount: number;

  @Column({ type: 'text', array: true })
  transports: string[];

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'timestamptz', name: 'created_at', insert: false, update: false })
  createdAt: Date;

  @Column({ type: 'timestamptz', name: 'last_used_at', nullable: true })
  lastUsedAt: Date | null;
}
