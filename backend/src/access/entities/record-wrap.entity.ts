import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One reader's wrap of a record's file key. */
@Entity({ name: 'record_wraps' })
export class RecordWrapEntity {
  @PrimaryColumn({ type: 'uuid', name: 'record_id' })
  recordId: string;

  @PrimaryColumn({ type: 'uuid', name: 'recipient_id' })
  recipientId: string;

  /** The patient whose record it is: the key RLS and a future shard key use. */
  @Column({ type: 'uuid', name: 'owner_id' })
  ownerId: string;

  @Column({ type: 'text' })
  wrap: string;

  /** The account-key generation that sealed an owner wrap; null for a doctor's wrap (RSA under the doctor's key). */
  @Column({ type: 'integer', name: 'key_generation', nullable: true })
  keyGeneration: number | null;

  /**
   * A doctor's wrap: the fingerprint of the key it was made for (the one in
   * its label); stale once the doctor's key is another. Null for the owner's
   * wrap, which is sealed under the account key. Stamped by the database when
   * a writer names none (docs/protocol.md "Key-pair rotation").
   */
  @Column({ type: 'text', name: 'key_fingerprint', nullable: true })
  keyFingerprint: string | null;

  @Column({ type: 'timestamptz', name: 'created_at', default: () => 'now()' })
  createdAt: Date;
}
