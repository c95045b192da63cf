/** Record titles by id, for the names on a page (docs/protocol.md "Audit trail": records). */
import { RECORD_LOOKUP_MAX_IDS, type Me, type RecordPage, type RecordSummary } from '@phr/shared-types';
import type { OpenedMetadata } from '../../crypto/record-vault.js';

/** What the look-up needs of the records API and of the crypto vault. */
export interface TitleSources {
  records: { list(query: { ids: string; limit: number }): Promise<RecordPage> };
  vault: { openRecordMetadata(records: RecordSummary[], viewerId: string): Promise<OpenedMetadata[]> };
}

/**
 * The titles of the records among `ids` the viewer can read, decrypted in the crypto worker: a
 * patient's own, or a doctor's opened with the wraps of the records still shared with them. They
 * are looked up by id, at most RECORD_LOOKUP_MAX_IDS a request (GET /records?ids=), so naming a
 * page's records costs that page, not every record held (issue 14). A record the server answers
 * without being asked is left out; one whose wrap does not open is, for a doctor, left out too
 * (it reads "a record"); each title is sealed with its record's id, so none can stand in for
 * another. Titles in `known` (looked up earlier and not changed since) are taken as they are,
 * and only the other ids are asked for, so a page that grows asks for its new records only.
 */
export async function recordTitlesOf(
  { records, vault }: TitleSources,
  viewer: Pick<Me, 'id' | 'role'>,
  ids: readonly string[],
  known: ReadonlyMap<string, string> = new Map(),
): Promise<Map<string, string>> {
  const titles = new Map<string, string>();
  const wanted = [...new Set(ids)].sort().filter((id) => {
    const title = known.get(id);
    if (title !== undefined) titles.set(id, title);
    return title === undefined;
  });
  for (let start = 0; start < wanted.length; start += RECORD_LOOKUP_MAX_IDS) {
    const batch = wanted.slice(start, start + RECORD_LOOKUP_MAX_IDS);
    const asked = new Set(batch);
    const page = await records.list({ ids: batch.join(','), limit: RECORD_LOOKUP_MAX_IDS });
    const opened = await vault.openRecordMetadata(
      page.items.filter((record) => asked.has(record.id)),
      viewer.id,
    );
    for (const entry of opened) {
      if ('metadata' in entry) titles.set(entry.id, entry.metadata.title);
      else if (viewer.role === 'patient') titles.set(entry.id, 'a record that cannot be opened');
    }
  }
  return titles;
}

