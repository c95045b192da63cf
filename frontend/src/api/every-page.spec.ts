import { describe, expect, it } from '@jest/globals';
import { EndlessPagesError, everyPage, type CursorPage } from './every-page.js';

/** A server that answers the given pages in turn and records the cursors it was asked with. */
function serverAnswering(pages: CursorPage<number>[]) {
  const asked: (string | undefined)[] = [];
  const fetchPage = async (cursor: string | undefined) => {
    asked.push(cursor);
    const page = pages[asked.length - 1];
    if (page === undefined) throw new Error(`asked for page ${asked.length}, which the test did not give`);
    return page;
  };
  return { asked, fetchPage };
}

describe('walking every page of a listing', () => {
  it('follows each next cursor and stops at the page that names none', async () => {
    const server = serverAnswering([
      { items: [1, 2], nextCursor: 'a' },
      { items: [3, 4], nextCursor: 'b' },
      { items: [5], nextCursor: null },
    ]);
    await expect(everyPage(server.fetchPage)).resolves.toEqual([1, 2, 3, 4, 5]);
    expect(server.asked).toEqual([undefined, 'a', 'b']);
  });

  it('takes an empty last page as the end', async () => {
    const server = serverAnswering([{ items: [], nextCursor: null }]);
    await expect(everyPage(server.fetchPage)).resolves.toEqual([]);
  });

  it('stops with an error when the server gives a cursor it already gave, instead of asking forever', async () => {
    const server = serverAnswering([
      { items: [1], nextCursor: 'a' },
      { items: [2], nextCursor: 'b' },
      { items: [3], nextCursor: 'a' },
    ]);
    await expect(everyPage(server.fetchPage)).rejects.toThrow(new EndlessPagesError('it gave the same cursor twice'));
    expect(server.asked).toEqual([undefined, 'a', 'b']);
  });

  it('stops with an error when an empty page names a next one', async () => {
    const server = serverAnswering([
      { items: [1], nextCursor: 'a' },
      { items: [], nextCursor: 'b' },
    ]);
    await expect(everyPage(server.fetchPage)).rejects.toThrow(EndlessPagesError);
    expect(server.asked).toEqual([undefined, 'a']);
  });
});
