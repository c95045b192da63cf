import { Injectable } from '@nestjs/common';
import { Db } from '../db/db.service.js';
import { FolderEntity } from './entities/folder.entity.js';

/** A folder as `folders` holds it: its name sealed under the patient's account key. */
export interface FolderRow {
  id: string;
  ownerId: string;
  name: string;
  keyGeneration: number;
  createdAt: Date;
}

/** The SQL of `folders` (RLS: a patient sees only their own). */
@Injectable()
export class FoldersRepository {
  constructor(private readonly db: Db) {}

  async list(): Promise<FolderRow[]> {
    return await this.folders().find({ order: { createdAt: 'ASC', id: 'ASC' } });
  }

  async find(folderId: string): Promise<FolderRow | null> {
    return await this.folders().findOneBy({ id: folderId });
  }

  async insert(folder: FolderRow): Promise<void> {
    await this.folders().insert(folder);
  }

  async rename(folderId: string, name: string, keyGeneration: number): Promise<void> {
    await this.folders().update({ id: folderId }, { name, keyGeneration });
  }

  async delete(folderId: string): Promise<void> {
    await this.folders().delete({ id: folderId });
  }

  private folders() {
    return this.db.manager().getRepository(FolderEntity);
  }

  async countOwnedBy(ownerId: string): Promise<number> {
    const [row] = await this.db.manager().query<Array<{ count: string }>>('SELECT count(*) AS count FROM folders WHERE owner_id = $1', [ownerId]);
    return Number(row.count);
  }
}
