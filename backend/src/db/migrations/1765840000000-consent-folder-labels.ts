import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Folder labels (docs/protocol.md "Folder labels"): a folder-scoped consent may carry the folder's
 * name sealed for its doctor, made in the patient's browser (a fresh AES-256-GCM key sealing the
 * name, wrapped with the doctor's RSA-OAEP key). The server stores both parts and never sees the name.
 */
export class ConsentFolderLabels1765840000000 implements MigrationInterface {
  name = 'ConsentFolderLabels1765840000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE consents ADD COLUMN folder_label_wrap text, ADD COLUMN folder_label_name text;
      ALTER TABLE consents ADD CONSTRAINT consents_folder_label
        CHECK ((folder_label_wrap IS NULL) = (folder_label_name IS NULL) AND (folder_label_wrap IS NULL OR scope = 'folder'));
    `);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE consents DROP CONSTRAINT consents_folder_label, DROP COLUMN folder_label_name, DROP COLUMN folder_label_wrap`);
  }
}
