/** The audit area of the API (the trail, its head, its export), typed by the contract, and its query keys. */
import { ROUTES, type AuditExportQuery, type AuditQuery } from '@phr/shared-types';
import type { ApiClient } from './client.js';

export function auditApi(client: ApiClient) {
  return {
    list: (query: AuditQuery) => client.call(ROUTES.listAudit, { query }),
    head: () => client.call(ROUTES.auditHead),
    export: (query: AuditExportQuery) => client.call(ROUTES.exportAudit, { query }),
  };
}

export type AuditApi = ReturnType<typeof auditApi>;

/**
 * Query keys of the audit area; every key starts with `all`. Nearly every change writes
 * to the trail, so mutations invalidate `all` (see invalidate.ts).
 */
export const auditKeys = {
  all: ['audit'] as const,
  trail: (query: AuditQuery, pages: number) => [...auditKeys.all, 'trail', query, pages] as const,
  /** The own trail's hash chain, verified in the browser. */
  chain: () => [...auditKeys.all, 'chain'] as const,
  /** The own rows a page of the trail shows, judged against the chain verified; `fetchedAt` of both, so a refetch judges again. */
  shownRows: (query: AuditQuery, pages: number, fetchedAt: readonly number[]) => [...auditKeys.all, 'chain', 'shown', query, pages, ...fetchedAt] as const,
};
