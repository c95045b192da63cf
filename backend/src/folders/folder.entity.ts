import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'folders' })
export class FolderEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'uuid', name: 'owner_id' })
  ownerId: string;

  /** Sealed under the owner's account key. */
  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'timestamptz', name: 'created_at', default: () => 'now()' })
  createdAt: Date;
}
