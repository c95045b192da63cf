import { Button } from './Button.js';

/** What ShowMore needs of a paged list (TanStack Query's useInfiniteQuery result has it). */
export interface PagedList {
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage(): Promise<unknown>;
}

/** The button under a paged list that fetches its next page; nothing once the last page is in. */
export function ShowMore({ list }: { list: PagedList }) {
  return list.hasNextPage ? (
    <Button type="button" variant="secondary" isBusy={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
      Show more
    </Button>
  ) : null;
}
