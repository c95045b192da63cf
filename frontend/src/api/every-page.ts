/** A page of a cursor-paged listing (GET /records, /consents, /audit, the access report). */
export interface CursorPage<T> {
  items: T[];
  nextCursor: string | null;
}

/** The server's pages would never end: a cursor came back a second time, or an empty page named a next one. */
export class EndlessPagesError extends Error {
  constructor(reason: string) {
    super(`The server's listing did not end: ${reason}. Nothing was taken from it.`);
    this.name = 'EndlessPagesError';
  }
}

/**
 * Every item of a cursor-paged listing, page after page, until a page names no next one.
 * The server is not trusted to end the walk: a cursor it already gave, or a next page after an empty one, stops it with an error
 * instead of asking forever.
 */
export async function everyPage<T>(fetchPage: (cursor: string | undefined) => Promise<CursorPage<T>>): Promise<T[]> {
  const all: T[] = [];
  const cursorsSeen = new Set<string>();
  let cursor: string | undefined;
  for (;;) {
    const page = await fetchPage(cursor);
    all.push(...page.items);
    if (!page.nextCursor) return all;
    if (page.items.length === 0) throw new EndlessPagesError('an empty page named a next one');
    if (cursorsSeen.has(page.nextCursor)) throw new EndlessPagesError('it gave the same cursor twice');
    cursorsSeen.add(page.nextCursor);
    cursor = page.nextCursor;
  }
}
