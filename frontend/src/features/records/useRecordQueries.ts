/** Records and folders of the signed-in patient, with their sealed parts opened in the crypto worker. */
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import type { RecordSummary } from '@phr/shared-types';
import { folderKeys } from '../../api/folders.js';
import { recordKeys, type RecordListFilter, type RecordsApi } from '../../api/records.js';
import type { OpenedMetadata } from '../../crypto/record-vault.js';
import { useSession } from '../auth/session.js';
import { everyPage } from '../../api/every-page.js';

const PAGE_SIZE = 25;

export interface ListedRecord {
  summary: RecordSummary;
  opened: OpenedMetadata;
}

export interface NamedFolder {
  id: string;
  name: string;
}

export function useFolders() {
  const { user, folders: foldersApi, vault } = useSession();
  return useQuery({
    queryKey: folderKeys.list(),
    enabled: user !== null,
    queryFn: async (): Promise<NamedFolder[]> => {
      const folders = await foldersApi.list();
      return vault.openFolderNames(user?.id ?? '', folders.items);
    },
  });
}

export type RecordFilter = RecordListFilter;

/** How often a doctor's view of shared records asks again: a patient may revoke or share at any time. */
export const SHARED_REFRESH_MS = 30_000;

export function useRecordList({ folderId, ownerId, view }: RecordFilter) {
  const { user, records, vault } = useSession();
  // A doctor's view of a patient's records (ownerId) follows the patient's changes by itself.
  const isShared = ownerId !== undefined;
  return useInfiniteQuery({
    queryKey: recordKeys.list({ folderId, ownerId, view }),
    enabled: user !== null,
    refetchOnWindowFocus: isShared ? 'always' : true,
    refetchInterval: isShared ? SHARED_REFRESH_MS : false,
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last: { nextCursor: string | null }) => last.nextCursor ?? undefined,
    queryFn: async ({ pageParam }) => {
      const page = await records.list({ folderId, ownerId, view, cursor: pageParam, limit: PAGE_SIZE });
      const opened = await vault.openRecordMetadata(page.items, user?.id ?? '');
      return { items: page.items.map((summary, i): ListedRecord => ({ summary, opened: opened[i] })), nextCursor: page.nextCursor };
    },
  });
}

/** Every record of the patient in a scope that is not in the trash, all pages (a trusted contact's or break-glass scope, the export). */
export function allRecordsIn(records: RecordsApi, folderId: string | undefined): Promise<RecordSummary[]> {
  return everyPage((cursor) => records.list({ folderId, cursor, limit: 100 }));
}
