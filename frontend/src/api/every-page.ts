/** A page of a cursor-paged listing (GET /records, /consents, /audit, the access report). */
export interface CursorPage<T> {
  items: T[];
  nextCursor: string | null;
}

/** Every item of a cursor-paged listing, page after page, until a page names no next one. */
export async function everyPage<T>(fetchPage: (cursor: string | undefined) => Promise<CursorPage<T>>): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    all.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return all;
}
