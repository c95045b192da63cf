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

  /** The account-key generation that sealed the name. */
  @Column({ type: 'integer', name: 'key_generation', default: 1 })
  keyGeneration: number;

  @Column({ type: 'timestamptz', name: 'created_at', default: () => 'now()' })
  createdAt: Date;
}
