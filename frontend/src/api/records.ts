/** The records area of the API (upload, list, read, delete), typed by the contract, and its query keys. */
import { ROUTES, type CommitRecordRequest, type ListRecordsQuery, type MoveRecordRequest, type PresignUploadRequest, type RecordListView } from '@phr/shared-types';
import type { ApiClient } from './client.js';

export function recordsApi(client: ApiClient) {
  return {
    presign: (body: PresignUploadRequest) => client.call(ROUTES.presignUpload, { body }),
    commit: (body: CommitRecordRequest) => client.call(ROUTES.commitRecord, { body }),
    list: (query: ListRecordsQuery) => client.call(ROUTES.listRecords, { query }),
    get: (id: string) => client.call(ROUTES.getRecord, { params: { id } }),
    remove: (id: string) => client.call(ROUTES.deleteRecord, { params: { id } }),
    trash: (id: string) => client.call(ROUTES.trashRecord, { params: { id } }),
    restore: (id: string) => client.call(ROUTES.restoreRecord, { params: { id } }),
    updateMetadata: (id: string, metadata: string) => client.call(ROUTES.updateRecordMetadata, { params: { id }, body: { metadata } }),
    movePreview: (id: string, folderId: string | null) => client.call(ROUTES.moveRecordPreview, { params: { id }, query: folderId ? { folderId } : {} }),
    move: (id: string, body: MoveRecordRequest) => client.call(ROUTES.moveRecord, { params: { id }, body }),
  };
}

export type RecordsApi = ReturnType<typeof recordsApi>;

/** Which records a list shows: a patient's folder (or all of theirs), or one patient's records shared with a doctor. */
export interface RecordListFilter {
  folderId?: string;
  ownerId?: string;
  /** The patient's trash instead of the records in use. */
  view?: RecordListView;
}

/**
 * Query keys of the records area. Every key starts with `all`, so invalidating `all`
 * refreshes every list, detail and share scope. Keys carry no user id: the cache is
 * cleared at every end of a session (features/auth/session.tsx).
 */
export const recordKeys = {
  all: ['records'] as const,
  lists: () => [...recordKeys.all, 'list'] as const,
  list: (filter: RecordListFilter) => [...recordKeys.lists(), { folderId: filter.folderId ?? null, ownerId: filter.ownerId ?? null, view: filter.view ?? 'active' }] as const,
  details: () => [...recordKeys.all, 'detail'] as const,
  detail: (recordId: string) => [...recordKeys.details(), recordId] as const,
  /** The records a share would wrap: one record, a folder's, or all the patient's. */
  shareScope: (scope: string, targetId: string | null) => [...recordKeys.all, 'share-scope', scope, targetId] as const,
  /** The titles of a share scope's records, as listed at `listedAt` (the scope's answer they belong to). */
  shareTitles: (scope: string, targetId: string | null, listedAt: number) => [...recordKeys.shareScope(scope, targetId), 'titles', listedAt] as const,
  /** Every look-up of titles (each kept under the sorted ids it was for). */
  allTitles: () => [...recordKeys.all, 'titles'] as const,
  /** The titles of the records named on a page (sorted ids), decrypted in the browser. */
  titles: (ids: readonly string[]) => [...recordKeys.allTitles(), ids] as const,
  /** What moving a record into a folder (null: none) would change for the doctors it is shared with. */
  moveCheck: (recordId: string, folderId: string | null) => [...recordKeys.all, 'move-check', recordId, folderId] as const,
};
