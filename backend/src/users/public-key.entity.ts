import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'public_keys' })
export class PublicKeyEntity {
  @PrimaryColumn({ type: 'uuid', name: 'user_id' })
  userId: string;

  /** RSA-OAEP public key, SPKI DER, base64url. */
  @Column({ type: 'text', name: 'public_key' })
  publicKey: string;

  /** SHA-256 of the SPKI bytes, lowercase hex (DESIGN 4.5). */
  @Column({ type: 'text' })
  fingerprint: string;

  @Column({ type: 'timestamptz', name: 'created_at', default: () => 'now()' })
  createdAt: Date;
}
