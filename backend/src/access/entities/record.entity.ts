import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A committed record: ciphertext in the object store, sealed metadata here. */
@Entity({ name: 'records' })
export class RecordEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'uuid', name: 'owner_id' })
  ownerId: string;

  @Column({ type: 'uuid', name: 'folder_id', nullable: true })
  folderId: string | null;

  /** Plaintext bytes (the server may learn sizes, DESIGN 2). */
  @Column({ type: 'bigint', transformer: { to: (value: number) => value, from: (value: string) => Number(value) } })
  size: number;

  @Column({ type: 'integer', name: 'chunk_bytes' })
  chunkBytes: number;

  /** Sealed under the file key: name, type, title, date, category, notes. */
  @Column({ type: 'text' })
  metadata: string;

  @Column({ type: 'timestamptz', name: 'created_at', default: () => 'now()' })
  createdAt: Date;

  /** When the owner moved it to the trash; null while in use (migration 1765820000000). */
  @Column({ type: 'timestamptz', name: 'trashed_at', nullable: true })
  trashedAt: Date | null;
}
