/** Records and folders of the signed-in patient, with their sealed parts opened in the crypto worker. */
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import type { RecordSummary } from '@phr/shared-types';
import type { OpenedMetadata } from '../../crypto/record-vault.js';
import { useSession } from '../auth/session.js';

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
  const { user, records, vault } = useSession();
  return useQuery({
    queryKey: ['folders', user?.id],
    enabled: user !== null,
    queryFn: async (): Promise<NamedFolder[]> => {
      const folders = await records.folders();
      return vault.openFolderNames(user?.id ?? '', folders.items);
    },
  });
}

export function useRecordList(folderId: string | undefined) {
  const { user, records, vault } = useSession();
  return useInfiniteQuery({
    queryKey: ['records', user?.id, folderId ?? 'all'],
    enabled: user !== null,
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last: { nextCursor: string | null }) => last.nextCursor ?? undefined,
    queryFn: async ({ pageParam }) => {
      const page = await records.list({ folderId, cursor: pageParam, limit: PAGE_SIZE });
      const opened = await vault.openRecordMetadata(page.items);
      return { items: page.items.map((summary, i): ListedRecord => ({ summary, opened: opened[i] })), nextCursor: page.nextCursor };
    },
  });
}
