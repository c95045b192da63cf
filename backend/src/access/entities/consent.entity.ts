import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ConsentScope, ConsentStatus } from '@phr/shared-types';

@Entity({ name: 'consents' })
export class ConsentEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'uuid', name: 'patient_id' })
  patientId: string;

  @Column({ type: 'uuid', name: 'doctor_id' })
  doctorId: string;

  @Column({ type: 'text' })
  scope: ConsentScope;

  @Column({ type: 'uuid', name: 'record_id', nullable: true })
  recordId: string | null;

  @Column({ type: 'uuid', name: 'folder_id', nullable: true })
  folderId: string | null;

  @Column({ type: 'text', nullable: true })
  purpose: string | null;

  /** The folder's name sealed for the doctor (docs/protocol.md "Folder labels"): the RSA-OAEP wrap of the label key. */
  @Column({ type: 'text', name: 'folder_label_wrap', nullable: true })
  folderLabelWrap: string | null;

  /** …and the name sealed under that key. */
  @Column({ type: 'text', name: 'folder_label_name', nullable: true })
  folderLabelName: string | null;

  @Column({ type: 'timestamptz', name: 'expires_at', nullable: true })
  expiresAt: Date | null;

  /** As stored; an active consent past its expiry is shown expired (ConsentsRepository, consent_in_force()). */
  @Column({ type: 'text' })
  status: ConsentStatus;

  @Column({ type: 'timestamptz', name: 'created_at', default: () => 'now()' })
  createdAt: Date;

  @Column({ type: 'timestamptz', name: 'revoked_at', nullable: true })
  revokedAt: Date | null;
}
