/** The records a consent covers, as the patient's browser finds them to wrap for the doctor. */
import type { ConsentScope, RecordSummary } from '@phr/shared-types';
import type { RecordsApi } from '../../api/records.js';
import { allRecordsIn } from '../records/useRecordQueries.js';

/** A consent's scope as the records it covers are found: one record, one folder, or everything. */
export type ConsentScopeOf = { scope: 'record'; recordId: string } | { scope: 'folder'; folderId: string } | { scope: 'all' };

/** A share's or a consent's scope fields as a ConsentScopeOf: the id its scope needs must be there. */
export function consentScopeOf(target: { scope: ConsentScope; recordId?: string | null; folderId?: string | null }): ConsentScopeOf {
  if (target.scope === 'record' && target.recordId) return { scope: 'record', recordId: target.recordId };
  if (target.scope === 'folder' && target.folderId) return { scope: 'folder', folderId: target.folderId };
  if (target.scope === 'all') return { scope: 'all' };
  throw new Error(`A consent over ${target.scope === 'record' ? 'a record names no record' : 'a folder names no folder'}`);
}

/**
 * Every record a consent over this scope covers, all pages: what a share must wrap. That takes
 * the records in the trash as well (their `trashedAt` set): a consent keeps the doctor's wraps
 * of a trashed record, so that restoring it needs no browser work (docs/protocol.md "Trash"),
 * and the API refuses a share or a re-wrap that leaves one out. One record is looked up by its
 * id, in use and in the trash (two requests whatever the patient holds), and only that record
 * is taken from the answers: a server that adds another would have its key wrapped for the doctor.
 * A folder's records must each state that folder (`allRecordsIn`); the share dialog names them all.
 */
export async function recordsForConsent(records: Pick<RecordsApi, 'list'>, scope: ConsentScopeOf): Promise<RecordSummary[]> {
  if (scope.scope === 'record') {
    const [active, trashed] = await Promise.all([records.list({ ids: scope.recordId, limit: 1 }), records.list({ ids: scope.recordId, view: 'trash', limit: 1 })]);
    return [...active.items, ...trashed.items].filter((record) => record.id === scope.recordId).slice(0, 1);
  }
  const folderId = scope.scope === 'folder' ? scope.folderId : undefined;
  const [active, trashed] = await Promise.all([allRecordsIn(records, folderId), allRecordsIn(records, folderId, 'trash')]);
  return [...active, ...trashed];
}
