import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One refresh token of a family (DESIGN 8). A token is used once; its
 * successor joins the family. Presenting a used token revokes the family.
 */
@Entity({ name: 'refresh_tokens' })
export class RefreshTokenEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'uuid', name: 'family_id' })
  familyId: string;

  @Column({ type: 'uuid', name: 'user_id' })
  userId: string;

  /** SHA-256 of the token; the token itself is only in the browser's cookie. */
  @Column({ type: 'bytea', name: 'token_hash' })
  tokenHash: Buffer;

  /** When this token was issued: the family's latest sign-in or refresh. */
  @Column({ type: 'timestamptz', name: 'created_at', default: () => 'now()' })
  createdAt: Date;

  /** The password sign-in that began the family; copied to each successor (absolute limit, ASVS 3.3.2). */
  @Column({ type: 'timestamptz', name: 'family_started_at' })
  familyStartedAt: Date;

  /** The browser the token was issued to, so a user can tell their sessions apart (ASVS 3.3.4). */
  @Column({ type: 'text', nullable: true })
  ip: string | null;

  @Column({ type: 'text', name: 'user_agent', nullable: true })
  userAgent: string | null;

  @Column({ type: 'timestamptz', name: 'expires_at' })
  expiresAt: Date;

  @Column({ type: 'timestamptz', name: 'used_at', nullable: true })
  usedAt: Date | null;

  @Column({ type: 'timestamptz', name: 'revoked_at', nullable: true })
  revokedAt: Date | null;
}
