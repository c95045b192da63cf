import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ERROR_CODES, type Folder, type FolderList } from '@phr/shared-types';
import { AuditService } from '../audit/audit.service.js';
import type { AuthUser } from '../identity/auth-user.js';
import { checkSealedBlob } from '../identity/key-material.js';
import { ApiError } from '../common/api-error.js';
import { KeyGenerations } from '../key-generations/key-generations.js';
import { RecordsRepository } from '../access/records.repository.js';
import { FoldersRepository, type FolderRow } from '../access/folders.repository.js';
import { SharesEndedByDeletion } from '../access/shares-ended-by-deletion.js';

/** Folders group a patient's records; their names are sealed under the patient's account key. */
@Injectable()
export class FoldersService {
  constructor(
    private readonly audit: AuditService,
    private readonly keyGenerations: KeyGenerations,
    private readonly folders: FoldersRepository,
    private readonly records: RecordsRepository,
    private readonly sharesEnded: SharesEndedByDeletion,
  ) {}

  async create(user: AuthUser, name: string, keyGeneration?: number): Promise<Folder> {
    assertSealedName(name);
    const generation = await this.keyGenerations.sealingGeneration(user.userId, keyGeneration);
    const folder: FolderRow = { id: randomUUID(), ownerId: user.userId, name, keyGeneration: generation, createdAt: new Date() };
    await this.folders.insert(folder);
    await this.audit.allow({ subjectId: user.userId, action: 'folder.create', reason: folder.id });
    return toFolder(folder);
  }

  async list(user: AuthUser): Promise<FolderList> {
    const folders = await this.folders.list();
    await this.audit.allow({ subjectId: user.userId, action: 'folder.list', reason: `${folders.length} folder(s)` });
    return { items: folders.map(toFolder) };
  }

  async rename(user: AuthUser, folderId: string, name: string, keyGeneration?: number): Promise<Folder> {
    assertSealedName(name);
    const generation = await this.keyGenerations.sealingGeneration(user.userId, keyGeneration);
    const folder = await this.findOwn(user, folderId, 'folder.rename');
    folder.name = name;
    folder.keyGeneration = generation;
    await this.folders.rename(folder.id, name, generation);
    await this.audit.allow({ subjectId: user.userId, action: 'folder.rename', reason: folder.id });
    return toFolder(folder);
  }

  /**
   * Only a folder without records in use can go: records are never deleted as a side effect.
   * Records of it in the trash stay there, outside any folder once restored.
   */
  async delete(user: AuthUser, folderId: string): Promise<void> {
    const folder = await this.findOwn(user, folderId, 'folder.delete');
    if (await this.records.hasRecordsIn(folder.id)) {
      throw new ApiError(409, ERROR_CODES.folderNotEmpty, 'The folder still holds records; move them to another folder or to the trash first');
    }
    await this.sharesEnded.ofFolder(user.userId, folder.id);
    await this.records.releaseTrashedFrom(folder.id);
    await this.folders.delete(folder.id);
    await this.audit.allow({ subjectId: user.userId, action: 'folder.delete', reason: folder.id });
  }

  private async findOwn(user: AuthUser, folderId: string, action: 'folder.rename' | 'folder.delete'): Promise<FolderRow> {
    const folder = await this.folders.find(folderId);
    if (folder) return folder;
    this.audit.deny({ subjectId: user.userId, action, reason: `no such folder ${folderId}` });
    throw ApiError.notFound('No such folder');
  }

}

function assertSealedName(name: string): void {
  const problem = checkSealedBlob('name', name);
  if (problem) throw ApiError.validation([problem]);
}

function toFolder(folder: FolderRow): Folder {
  return { id: folder.id, name: folder.name, createdAt: folder.createdAt.toISOString() };
}
