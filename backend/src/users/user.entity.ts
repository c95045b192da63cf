import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Role } from '@phr/shared-types';

@Entity({ name: 'users' })
export class UserEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  /** Stored lower-cased and trimmed. */
  @Column({ type: 'text' })
  email: string;

  @Column({ type: 'text', name: 'display_name' })
  displayName: string;

  @Column({ type: 'text' })
  role: Role;

  /** Doctors only: shown to patients who search for them. */
  @Column({ type: 'text', nullable: true })
  specialty: string | null;

  @Column({ type: 'timestamptz', name: 'created_at', default: () => 'now()' })
  createdAt: Date;
}
