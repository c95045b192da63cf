import type { ConsentEntity } from './consent.entity.js';

/**
 * The records a consent covers, as SQL over `records r` with its parameters
 * starting at `$first`: used to list records in scope and to remove a
 * doctor's wraps on revoke and expiry.
 */
export function scopeCondition(consent: Pick<ConsentEntity, 'scope' | 'recordId' | 'folderId'>, first: number): { sql: string; params: unknown[] } {
  if (consent.scope === 'record') return { sql: `r.id = $${first}`, params: [consent.recordId] };
  if (consent.scope === 'folder') return { sql: `r.folder_id = $${first}`, params: [consent.folderId] };
  return { sql: 'TRUE', params: [] };
}
