import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A browser that signed in to the account (docs/architecture.md "Sessions"):
 * it skips the proof of work that failures from elsewhere demand.
 */
@Entity({ name: 'known_devices' })
export class KnownDeviceEntity {
  @PrimaryColumn({ type: 'uuid', name: 'user_id' })
  userId: string;

  /** SHA-256 of the account id and the device cookie; the cookie itself is only in the browser. */
  @PrimaryColumn({ type: 'bytea', name: 'token_hash' })
  tokenHash: Buffer;

  /** The session the device's latest sign-in started: ending that session from the list forgets the device. */
  @Column({ type: 'uuid', name: 'family_id', nullable: true })
  familyId: string | null;

  @Column({ type: 'timestamptz', name: 'created_at', default: () => 'now()' })
  createdAt: Date;

  @Column({ type: 'timestamptz', name: 'last_sign_in_at', default: () => 'now()' })
  lastSignInAt: Date;

  @Column({ type: 'timestamptz', name: 'expires_at' })
  expiresAt: Date;
}
