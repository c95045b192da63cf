import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An upload in progress; its id becomes the record's id at commit. */
@Entity({ name: 'uploads' })
export class UploadEntity {
  @PrimaryColumn({ type: 'uuid', name: 'record_id' })
  recordId: string;

  @Column({ type: 'uuid', name: 'owner_id' })
  ownerId: string;

  @Column({ type: 'bigint', transformer: { to: (value: number) => value, from: (value: string) => Number(value) } })
  size: number;

  @Column({ type: 'integer', name: 'chunk_bytes' })
  chunkBytes: number;

  @Column({ type: 'timestamptz', name: 'created_at', default: () => 'now()' })
  createdAt: Date;

  @Column({ type: 'timestamptz', name: 'expires_at' })
  expiresAt: Date;
}
