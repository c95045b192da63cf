import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { ListRecordsQuery, RecordPage, RecordSummary } from '@phr/shared-types';
import { consentScopeOf, recordsForConsent } from './records-for-consent.js';

/**
 * A records API that answers with the records `answer(query)` names, each in the folder asked
 * for unless `folderOf` states another, and records every query it was sent.
 */
function recordsApi(answer: (query: ListRecordsQuery) => string[], folderOf: (id: string, query: ListRecordsQuery) => string | null = (_id, query) => query.folderId ?? null) {
  const queries: ListRecordsQuery[] = [];
  const api = {
    list: async (query: ListRecordsQuery): Promise<RecordPage> => {
      queries.push(query);
      const items = answer(query).map((id) => ({ id, folderId: folderOf(id, query), trashedAt: query.view === 'trash' ? new Date().toISOString() : null }) as RecordSummary);
      return { items, nextCursor: null };
    },
  };
  return { api, queries };
}

describe('the records a consent covers, as the browser finds them to wrap', () => {
  it('looks one record up by its id, in use and in the trash: two requests, whatever the patient holds', async () => {
    const recordId = randomUUID();
    const { api, queries } = recordsApi((query) => (query.view === 'trash' ? [] : [recordId]));
    expect((await recordsForConsent(api, { scope: 'record', recordId })).map((record) => record.id)).toEqual([recordId]);
    expect(queries).toEqual([
      { ids: recordId, limit: 1 },
      { ids: recordId, view: 'trash', limit: 1 },
    ]);
  });

  it('takes only the record asked for: another record a lying server adds is not wrapped for the doctor', async () => {
    const recordId = randomUUID();
    const others = [randomUUID(), randomUUID()];
    const { api } = recordsApi((query) => (query.view === 'trash' ? [others[1], recordId] : [others[0]]));
    expect((await recordsForConsent(api, { scope: 'record', recordId })).map((record) => record.id)).toEqual([recordId]);
    const { api: repeating } = recordsApi(() => [recordId, recordId]);
    expect(await recordsForConsent(repeating, { scope: 'record', recordId })).toHaveLength(1);
  });

  it('lists a folder or everything in use and in the trash, page by page', async () => {
    const [active, trashed] = [randomUUID(), randomUUID()];
    const { api, queries } = recordsApi((query) => (query.view === 'trash' ? [trashed] : [active]));
    const folderId = randomUUID();
    expect((await recordsForConsent(api, { scope: 'folder', folderId })).map((record) => record.id)).toEqual([active, trashed]);
    expect(queries.map((query) => [query.folderId, query.view ?? 'active'])).toEqual([
      [folderId, 'active'],
      [folderId, 'trash'],
    ]);
  });

  it('refuses a folder whose listing holds a record that states another folder, in use or in the trash: nothing to wrap', async () => {
    const folderId = randomUUID();
    const [inside, stray] = [randomUUID(), randomUUID()];
    for (const [view, strayFolder] of [
      ['active', null],
      ['trash', randomUUID()],
    ] as const) {
      const { api } = recordsApi(
        (query) => ((query.view ?? 'active') === view ? [inside, stray] : [inside]),
        (id, query) => (id === stray ? strayFolder : (query.folderId ?? null)),
      );
      await expect(recordsForConsent(api, { scope: 'folder', folderId })).rejects.toThrow('listed a record of another folder among this folder');
    }
    // The same folder id written in capitals is the same folder.
    const { api: upperCase } = recordsApi(() => [inside], () => folderId.toUpperCase());
    expect(await recordsForConsent(upperCase, { scope: 'folder', folderId })).toHaveLength(2);
  });

  it('refuses a consent whose scope lacks the id it needs', () => {
    expect(consentScopeOf({ scope: 'record', recordId: 'r' })).toEqual({ scope: 'record', recordId: 'r' });
    expect(consentScopeOf({ scope: 'all', recordId: null, folderId: null })).toEqual({ scope: 'all' });
    expect(() => consentScopeOf({ scope: 'record', recordId: null })).toThrow('names no record');
    expect(() => consentScopeOf({ scope: 'folder' })).toThrow('names no folder');
  });
});
