import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ClinicianOrigin, ClinicianStatus } from '@phr/shared-types';

/** A doctor's standing with the operators (docs/protocol.md "Clinicians"); one row per doctor. */
@Entity({ name: 'clinicians' })
export class ClinicianEntity {
  @PrimaryColumn({ type: 'uuid', name: 'user_id' })
  userId: string;

  @Column({ type: 'text' })
  licence: string;

  @Column({ type: 'text' })
  organisation: string;

  @Column({ type: 'text' })
  status: ClinicianStatus;

  @Column({ type: 'text' })
  origin: ClinicianOrigin;

  /** TR39 skeleton of the display name (name-check.ts): compared, never shown. */
  @Column({ type: 'text', name: 'name_skeleton' })
  nameSkeleton: string;

  @Column({ type: 'timestamptz', name: 'requested_at' })
  requestedAt: Date;

  @Column({ type: 'timestamptz', name: 'decided_at', nullable: true })
  decidedAt: Date | null;

  @Column({ type: 'uuid', name: 'decided_by', nullable: true })
  decidedBy: string | null;

  @Column({ type: 'text', name: 'decided_by_name', nullable: true })
  decidedByName: string | null;

  @Column({ type: 'timestamptz', name: 'verified_at', nullable: true })
  verifiedAt: Date | null;

  @Column({ type: 'text', name: 'verified_by_name', nullable: true })
  verifiedByName: string | null;

  @Column({ type: 'text', nullable: true })
  reason: string | null;
}
